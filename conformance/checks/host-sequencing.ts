/** Host profile: seqs, event batches, acks and durability as seen on the wire [HOST-SEQ-*, HOST-PUBLISH-*, HOST-ACK-1, HOST-DURABLE-*]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { Probe } from '../core/probe.ts';
import type { HostCheckContext } from '../host/context.ts';
import { topics } from '../../protocol/topics.ts';
import type { ObservedReply } from '../kit/observed.ts';
import { text } from '../kit/payloads.ts';
import type { Peer, Received } from '../wire-peer.ts';

/** Verifies every batch a follower received on a session's events topic; returns the seqs in arrival order. */
function auditBatches(t: Probe, sid: string, batches: Received[]): number[] {
  const topic = topics.events(sid);
  const seqs: number[] = [];
  let lastMax = 0;
  for (const m of batches) {
    const b = m.json;
    const events = Array.isArray(b?.events) ? b.events : [];
    const evSeqs = events.map((e) => e.seq as number);
    const contiguous = evSeqs.every((s, i) => i === 0 || s === evSeqs[i - 1] + 1);
    t.expect(
      'ENV-BATCH-1',
      b?.v === 1 && b?.sid === sid && events.length >= 1 && events.length <= 1000 && events.every((e) => e.sid === sid) && contiguous,
      "each batch holds 1..1000 events of the topic's session with contiguous seqs",
      seen(topic, b),
    );
    const merged = events.filter((e) => e.type === 'message.delta' && e.data && 'n' in e.data);
    t.expect(
      'ENV-BATCH-2',
      merged.length === 0,
      'live message.delta events carry no merge field n',
      merged[0] ? seen(topic, merged[0]) : undefined,
    );
    if (evSeqs.length) {
      t.expect('HOST-PUBLISH-1', evSeqs[0] > lastMax, 'the batches of a session arrive in seq order', {
        topic,
        payload: excerpt(evSeqs),
        expected: `first seq above ${lastMax}`,
      });
      lastMax = Math.max(lastMax, ...evSeqs);
    }
    seqs.push(...evSeqs);
  }
  return seqs;
}

export default defineChecks<HostCheckContext>([
  {
    id: 'host.seq.contiguous',
    profile: 'host',
    covers: ['HOST-SEQ-1', 'HOST-PUBLISH-1', 'ENV-BATCH-1', 'ENV-BATCH-2', 'ENV-TIME-1'],
    description:
      'Concurrent messages and a token stream get seqs 1, 2, 3, ... with no gap or repeat, published in contiguous batches in seq order.',
    async run(ctx, t) {
      const { sid, owner: alice, agent } = await ctx.cast({ agent: 'agent' }, { follow: true });
      await ctx.ok(agent, sid, 'message.start', { msgId: 'stream', role: 'agent' });
      const sends: Promise<ObservedReply>[] = [];
      for (let i = 0; i < 40; i++) {
        sends.push(alice.command(sid, 'message.send', text(`m${i}`)));
        if (i < 30) sends.push(agent.command(sid, 'message.delta', { msgId: 'stream', i, text: `t${i} ` }));
      }
      const replies = await t.need('acks of 70 commands', () => Promise.all(sends));
      const refused = replies.filter((r) => r.type !== 'ack');
      if (refused.length) t.notTestable(`${refused.length} commands were refused: ${excerpt(refused[0])}`);
      const doneId = agent.nextId('done');
      const head = await ctx.ok(agent, sid, 'message.complete', { msgId: 'stream' }, { id: doneId });
      await t.need('the last event', () => alice.waitForEvent(sid, (e) => e.cid === doneId, 'the message.completed event'));
      const topic = topics.events(sid);
      const seqs = auditBatches(t, sid, alice.on(topic));
      const expected = Array.from({ length: head - 1 }, (_, i) => i + 2);
      const live = seqs.filter((s) => s >= 2);
      const dupes = live.filter((s, i) => live.indexOf(s) !== i);
      t.expect('HOST-SEQ-1', dupes.length === 0, 'no seq is published twice', {
        topic,
        payload: excerpt(dupes),
        expected: 'no repeated seq',
      });
      t.equal(
        'HOST-SEQ-1',
        [...new Set(live)].sort((x, y) => x - y),
        expected,
        `live seqs after the subscription are 2..${head} with no gap`,
        { topic },
      );
      const acked = replies.map((r) => r.data!.seq as number).sort((x, y) => x - y);
      t.expect('HOST-SEQ-1', new Set(acked).size === acked.length, 'every acked command has its own seq', { payload: excerpt(acked) });
      const log = await ctx.log(alice, sid);
      t.equal(
        'HOST-SEQ-1',
        log.map((e) => e.seq),
        Array.from({ length: head }, (_, i) => i + 1),
        `the log holds seqs 1..${head}`,
        { payload: excerpt(log.map((e) => e.seq)) },
      );
      const times = log.map((e) => Date.parse(String(e.time)));
      const back = times.findIndex((x, i) => i > 0 && x < times[i - 1]);
      t.expect(
        'ENV-TIME-1',
        back === -1,
        'event times do not decrease along the log',
        back === -1 ? undefined : seen(undefined, log.slice(back - 1, back + 1)),
      );
    },
  },
  {
    id: 'host.seq.refused-consume-nothing',
    profile: 'host',
    covers: ['HOST-SEQ-2', 'CMD-EVENT-1'],
    description: 'Refused commands consume no seq and append no event; each accepted command appends exactly one event of its type.',
    async run(ctx, t) {
      const { sid, owner: alice, bob } = await ctx.cast({ bob: 'viewer' });
      const accepted: [string, string][] = [];
      const refusedIds: string[] = [];
      const send = async (who: Peer, type: string, data: object, eventType?: string) => {
        const id = who.nextId();
        const r = await who.command(sid, type, data, { id });
        if (eventType) {
          if (t.acked('CMD-EVENT-1', r, type, who.replyTo)) accepted.push([id, eventType]);
        } else {
          t.expect('CMD-EVENT-1', r?.type === 'error', `${type} (invalid here) is refused`, seen(who.replyTo, r));
          refusedIds.push(id);
        }
        return r;
      };
      const first = await send(alice, 'message.send', text('m1'), 'message');
      await send(alice, 'message.delta', { msgId: 'none', i: 0, text: 'x' });
      await send(bob, 'message.send', text('m2'));
      await send(alice, 'run.finish', { runId: 'none', status: 'completed' });
      const second = await send(alice, 'run.start', { runId: 'r1' }, 'run.started');
      await send(alice, 'message.send', { msgId: 'bad', role: 'user', parts: [] });
      const third = await send(alice, 'steer', { runId: 'r1', text: 'go' }, 'steer');
      t.equal(
        'HOST-SEQ-2',
        [first?.data?.seq, second?.data?.seq, third?.data?.seq],
        [2, 3, 4],
        'accepted commands between refused ones get consecutive seqs',
        { payload: excerpt([first, second, third]) },
      );
      const log = await ctx.log(alice, sid);
      const byCid = new Map(log.map((e) => [e.cid, e]));
      for (const [id, type] of accepted) {
        const n = log.filter((e) => e.cid === id).length;
        t.expect('CMD-EVENT-1', n === 1 && byCid.get(id)?.type === type, `the accepted command ${id} appended exactly one ${type} event`, {
          payload: excerpt(byCid.get(id)),
        });
      }
      t.expect('CMD-EVENT-1', !log.some((e) => refusedIds.includes(e.cid as string)), 'refused commands appended no event', {
        payload: excerpt(log.map((e) => e.cid)),
      });
      t.equal(
        'HOST-SEQ-2',
        log.map((e) => e.seq),
        [1, 2, 3, 4],
        'the log has no hole where refused commands were',
        { payload: excerpt(log.map((e) => e.seq)) },
      );
    },
  },
  {
    id: 'host.ack.contents',
    profile: 'host',
    covers: ['HOST-ACK-1', 'HOST-PUBLISH-2'],
    description:
      "An accepted command is acked with {sid, seq, duplicate:false}, seq being its event's; the batch should arrive before the ack.",
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({}, { follow: true });
      for (let i = 0; i < 5; i++) {
        const id = alice.nextId();
        const ack = await alice.command(sid, 'message.send', text(`m${i}`), { id });
        const shape =
          ack?.type === 'ack' && ack.data?.sid === sid && ack.data?.duplicate === false && Number.isInteger(ack.data?.seq) && ack.re === id;
        t.expect('HOST-ACK-1', shape, 'the ack carries re = command id, the sid, the seq and duplicate:false', seen(alice.replyTo, ack));
        if (!shape) continue;
        const seq = ack.data!.seq!;
        const ev = await ctx.waitSeq(alice, sid, seq);
        t.equal('HOST-ACK-1', ev.cid, id, "the acked seq is the seq of the command's own event", seen(topics.events(sid), ev));
        const ackMsg = alice.log.find((m) => m.topic === alice.replyTo && m.json?.re === id)!;
        const evMsg = alice.log.find((m) => m.topic === topics.events(sid) && (m.json?.events ?? []).some((e) => e.seq === seq))!;
        t.expect('HOST-PUBLISH-2', (evMsg.at ?? 0) <= (ackMsg.at ?? 0), 'the event batch arrived before the ack', {
          payload: `batch at ${evMsg.at?.toFixed(1)} ms, ack at ${ackMsg.at?.toFixed(1)} ms`,
        });
      }
    },
  },
  {
    id: 'host.durable.visible-at-ack',
    profile: 'host',
    covers: ['HOST-DURABLE-1', 'HOST-DURABLE-2'],
    description: 'An event is in the durable log (history) as soon as it is acked or published: history asked at that moment returns it.',
    async run(ctx, t) {
      const { sid, owner: alice, bob } = await ctx.cast({ bob: 'member' });
      await ctx.follow(bob, sid);
      for (let i = 0; i < 8; i++) {
        const id = alice.nextId();
        const ack = await alice.command(sid, 'message.send', text(`m${i}`), { id });
        if (ack?.type !== 'ack') t.notTestable(`message.send was refused: ${excerpt(ack)}`);
        const seq = ack.data!.seq as number;
        const page = await alice.request('history.get', { sid, after: seq - 1, to: seq, compact: false });
        const found = page?.type === 'history.page' && page.data!.events!.some((e) => e.seq === seq && e.cid === id);
        t.expect(
          'HOST-DURABLE-2',
          found,
          `history asked right after the ack of seq ${seq} returns that event (an ack is sent only after the durable write)`,
          seen(alice.replyTo, page, `event seq ${seq}`),
        );
        const ev = await ctx.waitSeq(bob, sid, seq);
        const page2 = await bob.request('history.get', { sid, after: seq - 1, to: seq, compact: false });
        const found2 = page2?.type === 'history.page' && page2.data!.events!.some((e) => e.seq === ev.seq);
        t.expect(
          'HOST-DURABLE-1',
          found2,
          `history asked right after seq ${seq} was received live returns it (events are published only after the durable write)`,
          seen(bob.replyTo, page2, `event seq ${seq}`),
        );
      }
    },
  },
]);
