/** Agent and client profiles: delivery under duplicates, disorder and gaps; unknown events; replies and error codes [CLIENT-DELIVER-*, CLIENT-GAP-*, ENV-UNKNOWN-*, VER-COMPAT-*, ERR-*, ENV-RE-2]. */
import type { Check } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { ImplCheckContext } from '../impl/context.ts';
import { text } from '../kit/payloads.ts';
import type { JsonObject } from '../kit/observed.ts';
import type { WirePeer } from '../wire-peer.ts';
import { deliveryProblems } from './impl-resume.ts';

/** A command as the implementation under test sent it. */
type SentCommand = { id?: unknown; replyTo?: string; type?: unknown; data?: unknown };
type Profile = 'client' | 'agent';

async function joinedSession(ctx: ImplCheckContext, n = 2): Promise<{ alice: WirePeer; sid: string; head: number }> {
  await ctx.connected();
  const alice = await ctx.peer('alice');
  const sid = await ctx.session(alice);
  let head = 1;
  for (let i = 0; i < n; i++) head = await ctx.ok(alice, sid, 'message.send', text(`m${i}`));
  await ctx.join(sid);
  await ctx.delivered(sid, head);
  return { alice, sid, head };
}

const isBatchOf = (sid: string, topic: string) => topic === `tether/v1/sessions/${sid}/events`;

export function deliveryChecks(profile: Profile): Check<ImplCheckContext>[] {
  const checks: Check<ImplCheckContext>[] = [
    {
      id: `${profile}.delivery.duplicates`,
      profile,
      covers: ['CLIENT-DELIVER-1', 'TOPIC-RETAIN-2', 'TOPIC-EMPTY-1'],
      description:
        'Batches delivered again (as QoS 1 may, with or without the RETAIN flag) are not delivered twice to the application; a cleared retained state is no value.',
      async run(ctx, t) {
        const { alice, sid } = await joinedSession(ctx);
        const a = ctx.adapter!;
        const s1 = await ctx.ok(alice, sid, 'message.send', text('x1'));
        const s2 = await ctx.ok(alice, sid, 'message.send', text('x2'));
        await ctx.delivered(sid, s2);
        const batches = ctx.wire('deliver').filter((d) => isBatchOf(sid, d.topic!));
        for (const b of batches.slice(-3)) {
          await ctx.suite.inject(b.topic!, b.payload!);
          await ctx.suite.inject(b.topic!, b.payload!, true);
        }
        await ctx.suite.inject(`tether/v1/sessions/${sid}/events`, Buffer.alloc(0), true);
        await ctx.suite.inject(`tether/v1/sessions/${sid}/state`, Buffer.alloc(0), true);
        const s3 = await ctx.ok(alice, sid, 'message.send', text('x3'));
        await ctx.delivered(sid, s3);
        await ctx.sleep(200);
        const seqs = a.delivered(sid).map((e) => e.seq);
        t.expect(
          'CLIENT-DELIVER-1',
          deliveryProblems(a.delivered(sid)).length === 0 && seqs.includes(s1) && seqs.includes(s3),
          'each seq is delivered once although its batch arrived three times',
          { payload: excerpt(seqs) },
        );
        t.expect(
          'TOPIC-RETAIN-2',
          seqs.filter((s) => s === s2).length === 1,
          'a copy carrying the RETAIN flag is treated like any other copy',
          { payload: excerpt(seqs) },
        );
        t.expect(
          'TOPIC-EMPTY-1',
          a.running && a.garbage.length === 0 && seqs.includes(s3),
          'zero-length retained payloads on the state and events topics are no value: nothing breaks',
          { actual: a.running ? 'running' : a.stderr.slice(-300) },
        );
      },
    },
    {
      id: `${profile}.delivery.out-of-order`,
      profile,
      covers: ['CLIENT-DELIVER-1', 'CLIENT-GAP-1'],
      description:
        'A batch that arrives after later ones is delivered in its place: the later events wait in the buffer; history is asked only after a short wait.',
      async run(ctx, t) {
        const { alice, sid } = await joinedSession(ctx);
        const a = ctx.adapter!;
        let held = 0;
        ctx.onForward((p, topic) => (p === ctx.principal && isBatchOf(sid, topic) && held++ === 0 ? 'hold' : 'pass'));
        const getsBefore = ctx.requests('history.get').length;
        const s1 = await ctx.ok(alice, sid, 'message.send', text('late'));
        await ctx.ok(alice, sid, 'message.send', text('early 1'));
        const s3 = await ctx.ok(alice, sid, 'message.send', text('early 2'));
        const firstLate =
          ctx
            .wire('deliver')
            .filter((d) => isBatchOf(sid, d.topic!))
            .at(-1)?.at ?? performance.now();
        await ctx.sleep(150);
        await ctx.release();
        await ctx.delivered(sid, s3);
        const seqs = a.delivered(sid).map((e) => e.seq);
        t.expect(
          'CLIENT-DELIVER-1',
          deliveryProblems(a.delivered(sid)).length === 0 && seqs.includes(s1) && seqs.includes(s3),
          'the events are delivered in seq order although their batches came out of order',
          { payload: excerpt(seqs) },
        );
        const gets = ctx.requests('history.get').slice(getsBefore);
        t.expect(
          'CLIENT-GAP-1',
          gets.every((g) => g.at - firstLate >= 80),
          'history is not asked for a gap before a short wait (at least 100 ms)',
          { payload: excerpt(gets.map((g) => `${Math.round(g.at - firstLate)} ms`)) },
        );
      },
    },
    {
      id: `${profile}.delivery.gap`,
      profile,
      covers: ['CLIENT-GAP-1', 'CLIENT-DELIVER-2'],
      description:
        'A batch that never arrives is a gap: after a short wait the implementation asks history with after = lastSeq and to = the smallest buffered seq - 1, then delivers everything in order.',
      // Alone: a check that cuts the connection meanwhile (resume.reconnect) makes the implementation catch up
      // every session from lastSeq [CLIENT-RESUME-4], which is right but is not the gap request this check reads.
      exclusive: true,
      async run(ctx, t) {
        const { alice, sid, head } = await joinedSession(ctx);
        const a = ctx.adapter!;
        let dropped = 0;
        ctx.onForward((p, topic) => (p === ctx.principal && isBatchOf(sid, topic) && dropped++ === 0 ? 'drop' : 'pass'));
        const getsBefore = ctx.requests('history.get').length;
        const lost = await ctx.ok(alice, sid, 'message.send', text('lost'));
        const next = await ctx.ok(alice, sid, 'message.send', text('next'));
        const nextAt =
          ctx
            .wire('deliver')
            .filter((d) => isBatchOf(sid, d.topic!))
            .at(-1)?.at ?? performance.now();
        await ctx.delivered(sid, next, 6000);
        const get = ctx
          .requests('history.get')
          .slice(getsBefore)
          .find((g) => g.json?.data?.sid === sid);
        t.expect(
          'CLIENT-GAP-1',
          get !== undefined && get.json?.data?.after === head && get.json?.data?.to === next - 1,
          `it asks history.get with after = ${head} (lastSeq) and to = ${next - 1} (smallest buffered seq - 1)`,
          seen(get?.topic, get?.json ?? 'no history.get'),
        );
        const wait = get ? get.at - nextAt : Infinity;
        t.expect(
          'CLIENT-GAP-1',
          wait >= 80 && wait <= 2500,
          `it waits between 100 ms and 2 s before asking (${Math.round(wait)} ms)`,
          seen(get?.topic, get?.json),
        );
        const seqs = a.delivered(sid).map((e) => e.seq);
        t.expect(
          'CLIENT-DELIVER-2',
          seqs.includes(lost) && deliveryProblems(a.delivered(sid)).length === 0,
          `the lost seq ${lost} is delivered from history, in its place`,
          { payload: excerpt(seqs) },
        );
      },
    },
    {
      id: `${profile}.delivery.state-ahead`,
      profile,
      covers: ['CLIENT-GAP-2'],
      description: 'A session state whose headSeq is beyond lastSeq, with no event arriving, is a gap filled from history.',
      async run(ctx, t) {
        const { alice, sid } = await joinedSession(ctx);
        const a = ctx.adapter!;
        ctx.onForward((p, topic) => (p === ctx.principal && isBatchOf(sid, topic) ? 'drop' : 'pass'));
        const seq = await ctx.ok(alice, sid, 'participant.add', { principal: `carol-${ctx.suffix}`, role: 'viewer' });
        const got = await ctx.delivered(sid, seq, 4000);
        t.expect(
          'CLIENT-GAP-2',
          got !== undefined && a.delivered(sid).some((e) => e.seq === seq),
          `the event at seq ${seq}, announced only by the state's headSeq, is fetched from history and delivered`,
          { payload: excerpt(ctx.requests('history.get').map((r) => r.json?.data)) },
        );
      },
    },
    {
      id: `${profile}.delivery.host-lost-events`,
      profile,
      covers: ['CLIENT-GAP-3'],
      description:
        'A page whose headSeq is below lastSeq (the host lost events it had published) should be told to the application, and the session restarted from seq 0.',
      async run(ctx, t) {
        const { alice, sid, head } = await joinedSession(ctx, 4);
        const a = ctx.adapter!;
        let dropped = 0;
        ctx.onForward((p, topic) => (p === ctx.principal && isBatchOf(sid, topic) && dropped++ === 0 ? 'drop' : 'pass'));
        let forged = false;
        ctx.onPublish((_p, topic, payload, fromHost) => {
          if (forged || !fromHost || !topic.startsWith(`tether/v1/replies/${ctx.principal}/`) || !payload.includes('"history.page"'))
            return 'pass';
          forged = true;
          const reply = JSON.parse(payload.toString());
          const lie = {
            v: 1,
            type: 'history.page',
            re: reply.re,
            data: { sid, from: reply.data.from, to: reply.data.from, headSeq: 1, events: [], more: false },
          };
          setTimeout(() => void ctx.suite.inject(topic, lie), 10);
          return 'drop';
        });
        await ctx.ok(alice, sid, 'message.send', text('lost'));
        await ctx.ok(alice, sid, 'message.send', text('next'));
        const reset = await a
          .waitFor((e) => e.event === 'reset' && e.sid === sid && e.atSeq === 0, 'a reset to seq 0', 5000)
          .catch(() => undefined);
        t.expect(
          'CLIENT-GAP-3',
          forged && reset !== undefined,
          `the application is told (reset to 0) when a page has headSeq 1 below lastSeq ${head}`,
          { payload: excerpt(reset ?? a.events.filter((e) => e.sid === sid).slice(-3)) },
        );
      },
    },
    {
      id: `${profile}.delivery.unknown-events`,
      profile,
      covers: ['ENV-UNKNOWN-1', 'ENV-UNKNOWN-2', 'VER-COMPAT-1'],
      description:
        'Events of unknown types, events whose data does not validate for their type, and fields the implementation does not know are delivered in their place, never dropped.',
      async run(ctx, t) {
        const { sid, head } = await joinedSession(ctx, 0);
        const a = ctx.adapter!;
        const now = new Date().toISOString();
        const ev = (seq: number, type: string, data: JsonObject, extra: JsonObject = {}) => ({
          v: 1,
          sid,
          seq,
          type,
          time: now,
          sender: `alice-${ctx.suffix}`,
          cid: `x${seq}`,
          data,
          ...extra,
        });
        const batch = {
          v: 1,
          sid,
          futureField: { nested: [1, 2] },
          events: [
            ev(head + 1, 'x.hologram', { beams: 3 }),
            ev(
              head + 2,
              'message',
              { ...text('extra'), futureField: 'ignored', parts: [{ kind: 'text', text: 'hi', style: { bold: true } }] },
              { futureEnvelopeField: true },
            ),
            ev(head + 3, 'message', { msgId: 'broken', role: 'user' }),
            ev(head + 4, 'message', text('after')),
          ],
        };
        await ctx.suite.inject(`tether/v1/sessions/${sid}/events`, batch);
        await ctx.delivered(sid, head + 4, 4000);
        const got = a.delivered(sid).filter((e) => Number(e.seq) > head);
        t.equal(
          'ENV-UNKNOWN-2',
          got.map((e) => e.seq),
          [head + 1, head + 2, head + 3, head + 4],
          'the event of unknown type is delivered in its place and the later ones follow',
          { payload: excerpt(got) },
        );
        t.expect(
          'ENV-UNKNOWN-2',
          got[0]?.type === 'x.hologram' && got[0]?.understood === false,
          'it is passed on as not understood',
          seen(undefined, got[0]),
        );
        t.expect(
          'ENV-UNKNOWN-1',
          got[1]?.type === 'message' && got[1]?.understood !== false,
          'unknown fields at any depth are ignored: the message is understood',
          seen(undefined, got[1]),
        );
        t.expect(
          'VER-COMPAT-1',
          got[2]?.seq === head + 3 && got[2]?.understood === false,
          'a known type whose data does not validate is delivered in its place, as not understood',
          seen(undefined, got[2]),
        );
      },
    },
    {
      id: `${profile}.delivery.replies-and-errors`,
      profile,
      covers: ['ENV-RE-2', 'ERR-CODE-1', 'ERR-CODE-2', 'ERR-RETRY-1'],
      description:
        'Replies are matched by re (unmatched and repeated ones ignored); an unknown error code is a final refusal; the code decides, never the message; refused commands are not resent unchanged.',
      async run(ctx, t) {
        const { sid } = await joinedSession(ctx, 0);
        const a = ctx.adapter!;
        const answerWith = (reply: (cmd: SentCommand) => JsonObject) => {
          let done = false;
          ctx.onPublish((p, topic, payload) => {
            if (done || p !== ctx.principal || topic !== `tether/v1/sessions/${sid}/submit/${ctx.principal}`) return 'pass';
            done = true;
            const cmd = JSON.parse(payload.toString()) as SentCommand;
            setTimeout(() => void ctx.suite.inject(cmd.replyTo as string, reply(cmd)), 20);
            return 'drop';
          });
        };
        answerWith((cmd) => ({
          v: 1,
          type: 'error',
          re: cmd.id,
          data: { code: 'QUANTUM_FLUX', message: 'a code from a future version', sid },
        }));
        const e1 = await a
          .call(
            { op: 'send', sid, msgId: 'u1', text: 'one', ref: 'u1' },
            (e) => (e.event === 'sent' || e.event === 'error') && e.ref === 'u1',
            'an answer to the send',
            5000,
          )
          .catch(() => undefined);
        t.expect(
          'ERR-CODE-2',
          e1?.event === 'error' && e1.code === 'QUANTUM_FLUX',
          'an unknown error code is reported as a refusal of the command',
          seen(undefined, e1 ?? 'no answer'),
        );
        answerWith((cmd) => ({
          v: 1,
          type: 'error',
          re: cmd.id,
          data: { code: 'SESSION_CLOSED', message: 'temporary glitch, please retry in a moment', sid },
        }));
        const e2 = await a
          .call(
            { op: 'send', sid, msgId: 'u2', text: 'two', ref: 'u2' },
            (e) => (e.event === 'sent' || e.event === 'error') && e.ref === 'u2',
            'an answer to the send',
            5000,
          )
          .catch(() => undefined);
        t.expect(
          'ERR-CODE-1',
          e2?.event === 'error' && e2.code === 'SESSION_CLOSED',
          'SESSION_CLOSED is a final refusal whatever its message says',
          seen(undefined, e2 ?? 'no answer'),
        );
        await ctx.sleep(1500);
        const ids = ctx
          .commands(sid)
          .filter((c) => c.json?.type === 'message.send')
          .map((c) => c.json?.id);
        const resent = ids.filter((id, i) => ids.indexOf(id) !== i);
        t.expect('ERR-CODE-2', resent.length === 0, 'the command refused with an unknown code is not resent', { payload: excerpt(ids) });
        t.expect('ERR-RETRY-1', resent.length === 0, 'commands refused with codes that allow no retry are not resent unchanged', {
          payload: excerpt(ids),
        });
        const e3 = await a
          .call(
            { op: 'send', sid, msgId: 'u3', text: 'three', ref: 'u3' },
            (e) => (e.event === 'sent' || e.event === 'error') && e.ref === 'u3',
            'sent',
            5000,
          )
          .catch(() => undefined);
        const cmd3 = ctx.commands(sid).find((c) => c.json?.data?.msgId === 'u3')?.json;
        const ack = ctx.wire('deliver').find((d) => d.json?.type === 'ack' && d.json?.re === cmd3?.id);
        if (ack) await ctx.suite.inject(ack.topic!, ack.payload!);
        await ctx.suite.inject(String(cmd3?.replyTo ?? `tether/v1/replies/${ctx.principal}/${ctx.clientIdHint}`), {
          v: 1,
          type: 'ack',
          re: 'nothing-waits-for-this',
          data: { sid, seq: 99, duplicate: false },
        });
        await ctx.sleep(400);
        const sentEvents = a.events.filter((e) => e.event === 'sent' && e.ref === 'u3');
        t.expect(
          'ENV-RE-2',
          e3?.event === 'sent' && sentEvents.length === 1 && a.running,
          'a repeated ack and a reply matching nothing are ignored',
          { payload: excerpt(sentEvents) },
        );
      },
    },
    {
      id: `${profile}.delivery.invalid-batches`,
      profile,
      covers: ['CLIENT-BATCH-1'],
      description:
        'Batches that do not validate, name another sid, or have non-contiguous seqs are ignored whole; the seqs are recovered from history.',
      async run(ctx, t) {
        const { alice, sid, head } = await joinedSession(ctx, 1);
        const a = ctx.adapter!;
        const now = new Date().toISOString();
        const ev = (seq: number, sidOf = sid) => ({
          v: 1,
          sid: sidOf,
          seq,
          type: 'message',
          time: now,
          sender: alice.principal,
          cid: `fake${seq}`,
          data: text(`fake${seq}`, 'forged'),
        });
        const topic = `tether/v1/sessions/${sid}/events`;
        await ctx.suite.inject(topic, { v: 1, sid, events: [ev(head + 1), ev(head + 3)] });
        await ctx.suite.inject(topic, { v: 1, sid: 'another-session', events: [ev(head + 1, 'another-session')] });
        await ctx.suite.inject(topic, { v: 1, sid, events: [ev(head + 1), ev(head + 2, 'another-session')] });
        await ctx.suite.inject(topic, { v: 1, sid, events: [{ ...ev(head + 1), seq: 'one' }] });
        await ctx.suite.inject(topic, { v: 1, sid, events: [] });
        const real1 = await ctx.ok(alice, sid, 'message.send', text('real1'));
        const real2 = await ctx.ok(alice, sid, 'message.send', text('real2'));
        await ctx.delivered(sid, real2);
        const got = a.delivered(sid).filter((e) => Number(e.seq) > head);
        t.expect('CLIENT-BATCH-1', !got.some((e) => String(e.cid ?? '').startsWith('fake')), 'no event of an invalid batch is delivered', {
          payload: excerpt(got),
        });
        t.expect(
          'CLIENT-BATCH-1',
          got.map((e) => e.seq).join() === `${real1},${real2}` && deliveryProblems(a.delivered(sid)).length === 0,
          'the real events at those seqs are delivered in order',
          { payload: excerpt(got.map((e) => [e.seq, e.cid])) },
        );
      },
    },
    {
      id: `${profile}.delivery.large-batch`,
      profile,
      covers: ['CLIENT-LIMIT-2'],
      description: 'An event batch close to maxMessageBytes is accepted and delivered.',
      async run(ctx, t) {
        const { alice, sid, head } = await joinedSession(ctx, 0);
        const a = ctx.adapter!;
        const max = Number(ctx.suite.limits.maxMessageBytes ?? 1048576);
        const now = new Date().toISOString();
        const body = 'y'.repeat(60000);
        const events: JsonObject[] = [];
        let size = 100;
        for (let seq = head + 1; size + 60300 < max; seq++) {
          const e = {
            v: 1,
            sid,
            seq,
            type: 'message',
            time: now,
            sender: alice.principal,
            cid: `big${seq}`,
            data: text(`big${seq}`, body),
          };
          size += Buffer.byteLength(JSON.stringify(e)) + 1;
          events.push(e);
        }
        const batch = { v: 1, sid, events };
        await ctx.suite.inject(`tether/v1/sessions/${sid}/events`, batch);
        const last = events.at(-1)!.seq as number;
        const got = await ctx.delivered(sid, last, 8000);
        t.expect(
          'CLIENT-LIMIT-2',
          got !== undefined && a.delivered(sid).filter((e) => Number(e.seq) > head).length === events.length,
          `a batch of ${Buffer.byteLength(JSON.stringify(batch))} bytes (maxMessageBytes ${max}) is delivered whole`,
          { payload: excerpt(a.delivered(sid).map((e) => e.seq)) },
        );
      },
    },
    {
      id: `${profile}.delivery.reply-types`,
      profile,
      covers: ['VER-COMPAT-4', 'VER-COMPAT-5', 'CLIENT-RETRY-4', 'CLIENT-RETRY-5'],
      description:
        'An unknown error code is a final refusal whose message is passed on; a reply of an unknown type is a final refusal; RATE_LIMITED is retried only after retryAfterMs; an ack and the own event confirm a command once, in either order.',
      async run(ctx, t) {
        const { sid } = await joinedSession(ctx, 0);
        const a = ctx.adapter!;
        const once = (reply: (cmd: SentCommand) => JsonObject | undefined, delayMs = 20) => {
          let done = false;
          ctx.onPublish((p, topic, payload) => {
            if (done || p !== ctx.principal || topic !== `tether/v1/sessions/${sid}/submit/${ctx.principal}`) return 'pass';
            done = true;
            const cmd = JSON.parse(payload.toString()) as SentCommand;
            const r = reply(cmd);
            if (r) setTimeout(() => void ctx.suite.inject(cmd.replyTo as string, r), delayMs);
            return 'drop';
          });
        };
        const call = (ref: string, msgId: string) =>
          a
            .call(
              { op: 'send', sid, msgId, text: msgId, ref },
              (e) => (e.event === 'sent' || e.event === 'error') && e.ref === ref,
              'an answer to the send',
              6000,
            )
            .catch(() => undefined);
        once((cmd) => ({ v: 1, type: 'error', re: cmd.id, data: { code: 'TIME_PARADOX', message: 'the message to pass on', sid } }));
        const e1 = await call('v4', 'v4');
        t.expect(
          'VER-COMPAT-4',
          e1?.event === 'error' && e1.code === 'TIME_PARADOX' && String(e1.message).includes('the message to pass on'),
          'an unknown error code is a final refusal whose message is passed on',
          seen(undefined, e1 ?? 'no answer'),
        );
        once((cmd) => ({ v: 1, type: 'teleported', re: cmd.id, data: { where: 'elsewhere' } }));
        const e2 = await call('v5', 'v5');
        t.expect(
          'VER-COMPAT-5',
          e2?.event === 'error',
          'a reply of an unknown type to a waiting command is a final refusal',
          seen(undefined, e2 ?? 'no answer'),
        );
        await ctx.sleep(500);
        const resentUnknown = ctx.commands(sid).filter((c) => c.json?.data?.msgId === 'v5').length;
        t.expect('VER-COMPAT-5', resentUnknown === 1, 'and the command is not resent', { actual: `${resentUnknown} publishes` });
        let limitedAt = 0;
        once((cmd) => {
          limitedAt = performance.now();
          return {
            v: 1,
            type: 'error',
            re: cmd.id,
            data: { code: 'RATE_LIMITED', message: 'slow down', sid, details: { retryAfterMs: 700 } },
          };
        }, 0);
        const e3 = await call('rl', 'rl');
        const pubs = ctx.commands(sid).filter((c) => c.json?.data?.msgId === 'rl');
        const gap = pubs.length >= 2 ? pubs[1].at - limitedAt : Infinity;
        t.expect(
          'CLIENT-RETRY-4',
          e3?.event === 'sent' && gap >= 650,
          `the command refused with RATE_LIMITED is resent after retryAfterMs 700 (${Math.round(gap)} ms later)`,
          { payload: excerpt({ answer: e3, publishes: pubs.length }) },
        );
        // The event before the ack: hold the ack, let the event through.
        let heldAck = false;
        ctx.onPublish((_p, topic, payload, fromHost) =>
          fromHost && !heldAck && topic.startsWith(`tether/v1/replies/${ctx.principal}/`) && payload.includes('"ack"')
            ? ((heldAck = true), 'hold')
            : 'pass',
        );
        const e4 = await call('order', 'order');
        t.expect(
          'CLIENT-RETRY-5',
          heldAck && e4?.event === 'sent',
          'the own event confirms the command while its ack is held back',
          seen(undefined, e4 ?? 'no confirmation'),
        );
        await ctx.release();
        await ctx.sleep(400);
        const confirms = a.events.filter((e) => e.event === 'sent' && e.ref === 'order').length;
        t.expect('CLIENT-RETRY-5', confirms === 1, 'the late ack is ignored for a command already confirmed', {
          actual: `${confirms} confirmations`,
        });
      },
    },
  ];
  return checks;
}
