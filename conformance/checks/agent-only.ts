/** Agent profile only: card and liveness, the stream writer, cancel, steer, input outcomes, inbox [AGENT-*, MQTT-WILL-2, ROLE-AGENT-1, INPUT-AGENT-1]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { ImplCheckContext } from '../impl/context.ts';
import type { ObservedPayload } from '../kit/observed.ts';
import { topics } from '../../protocol/topics.ts';
import { check as validate } from '../../protocol/validate.ts';

const stateTopic = (ctx: ImplCheckContext) => topics.agentState(ctx.principal);
const states = (ctx: ImplCheckContext) => ctx.wire('publish').filter((p) => p.topic === stateTopic(ctx));

async function agentSession(ctx: ImplCheckContext) {
  const a = await ctx.connected();
  const alice = await ctx.peer('alice');
  const sid = await ctx.session(alice, 'agent');
  await ctx.join(sid);
  return { a, alice, sid };
}

export default defineChecks<ImplCheckContext>([
  {
    id: 'agent.live.card',
    profile: 'agent',
    covers: ['AGENT-LIVE-1', 'MQTT-WILL-2', 'ROLE-AGENT-1', 'AGENT-LIVE-5', 'LIVE-EPOCH-1', 'LIVE-REBIRTH-1'],
    description:
      'On connect the agent publishes a retained online AgentState with its epoch and card under its own principal, with a Will (offline, same epoch); each new connection takes a greater epoch.',
    async run(ctx, t) {
      await ctx.connected();
      for (let i = 0; i < 30 && !states(ctx).length; i++) await ctx.sleep(50);
      const birth = states(ctx)[0];
      const v = validate('AgentState', birth?.json);
      t.expect(
        'AGENT-LIVE-1',
        birth !== undefined && v.ok && birth.json!.status === 'online' && birth.retain === true && birth.qos === 1,
        'a retained QoS 1 AgentState with status online',
        seen(birth?.topic ?? stateTopic(ctx), birth?.json ?? 'no agent state', v.ok ? undefined : v.message),
      );
      t.expect('ROLE-AGENT-1', birth?.json?.agentId === ctx.principal, 'the agent id is its principal', seen(birth?.topic, birth?.json));
      const caps: Record<string, unknown> = birth?.json?.card?.capabilities ?? {};
      t.expect(
        'AGENT-LIVE-5',
        ['streaming', 'inputRequests', 'steering', 'cancel'].every((k) => typeof caps[k] === 'boolean'),
        'the card declares each capability',
        seen(birth?.topic, caps),
      );
      const c1 = ctx.wire('connect')[0];
      const will = c1?.connect?.will;
      let willJson: ObservedPayload | undefined;
      try {
        willJson = will ? JSON.parse(will.payload.toString()) : undefined;
      } catch {
        willJson = undefined;
      }
      t.expect(
        'MQTT-WILL-2',
        will?.topic === stateTopic(ctx) &&
          will.retain &&
          will.qos === 1 &&
          willJson?.status === 'offline' &&
          willJson?.epoch === birth?.json?.epoch,
        "its CONNECT carries a retained QoS 1 Will on its state topic: offline with the birth's epoch",
        seen(will?.topic, willJson ?? 'no Will'),
      );
      const n = states(ctx).length;
      await ctx.cut(300);
      // The broker publishes the old connection's Will (recorded too): wait for the new birth.
      for (
        let i = 0;
        i < 60 &&
        !states(ctx)
          .slice(n)
          .some((p) => p.json?.status !== 'offline');
        i++
      )
        await ctx.sleep(100);
      const reborn = states(ctx)
        .slice(n)
        .find((p) => p.json?.status === 'online' || p.json?.status === 'busy');
      const c2 = ctx.wire('connect')[1];
      let will2: ObservedPayload | undefined;
      try {
        will2 = c2?.connect?.will ? JSON.parse(c2.connect.will.payload.toString()) : undefined;
      } catch {
        will2 = undefined;
      }
      const m = states(ctx).length;
      const current = reborn?.json ?? birth?.json;
      await ctx.suite.inject(
        stateTopic(ctx),
        { ...current, status: 'offline', epoch: (current?.epoch ?? 2) - 1, time: new Date().toISOString() },
        true,
      );
      for (
        let i = 0;
        i < 30 &&
        !states(ctx)
          .slice(m)
          .some((p) => p.json?.status !== 'offline');
        i++
      )
        await ctx.sleep(50);
      const rebirth = states(ctx)
        .slice(m)
        .find((p) => p.json?.status !== 'offline');
      t.expect(
        'LIVE-REBIRTH-1',
        rebirth?.json?.epoch === current?.epoch,
        'a stale state (lower epoch) on its state topic makes it republish its birth',
        seen(stateTopic(ctx), rebirth?.json ?? 'no new birth within 1.5 s'),
      );
      t.expect(
        'LIVE-EPOCH-1',
        reborn !== undefined && Number(reborn.json!.epoch) > Number(birth!.json!.epoch) && will2?.epoch === reborn.json!.epoch,
        "the new connection's birth and Will carry a greater epoch",
        { payload: excerpt({ first: birth?.json?.epoch, second: reborn?.json?.epoch, secondWill: will2?.epoch }) },
      );
    },
  },
  {
    id: 'agent.live.shutdown-and-busy',
    profile: 'agent',
    covers: ['AGENT-LIVE-4', 'AGENT-LIVE-3'],
    description:
      "The agent should show busy while a run is open and online otherwise; a clean shutdown publishes offline with the birth's epoch before it disconnects.",
    async run(ctx, t) {
      const { a, sid } = await agentSession(ctx);
      const n = states(ctx).length;
      await t.need('run', () => a.call({ op: 'run', sid, runId: 'r1', ref: 'r' }, (e) => e.event === 'run.started', 'run.started'));
      await ctx.sleep(200);
      const busy = states(ctx)
        .slice(n)
        .some((p) => p.json?.status === 'busy');
      const m = states(ctx).length;
      await t.need('finish', () =>
        a.call({ op: 'finish', sid, runId: 'r1', status: 'completed', ref: 'f' }, (e) => e.event === 'run.finished', 'run.finished'),
      );
      await ctx.sleep(200);
      const online = states(ctx)
        .slice(m)
        .some((p) => p.json?.status === 'online');
      t.expect('AGENT-LIVE-3', busy && online, 'busy while the run is open, online after it', {
        payload: excerpt(states(ctx).map((p) => p.json?.status)),
      });
      const epoch = states(ctx).find((p) => p.json?.status === 'online')?.json?.epoch;
      await a.close();
      const last = states(ctx).at(-1);
      t.expect(
        'AGENT-LIVE-4',
        last?.json?.status === 'offline' && last.json.epoch === epoch && last.retain === true,
        "on a clean shutdown it publishes a retained offline state with its birth's epoch",
        seen(last?.topic, last?.json ?? 'nothing'),
      );
    },
  },
  {
    id: 'agent.writer.stream',
    profile: 'agent',
    covers: ['AGENT-WRITER-1', 'ENV-ID-1'],
    description:
      'A stream goes out as message.start, chunks i = 0, 1, 2, ... in order, then message.complete, each with its own command id.',
    async run(ctx, t) {
      const { a, alice, sid } = await agentSession(ctx);
      const chunks = Array.from({ length: 15 }, (_, i) => `w${i} `);
      const done = await t.need('stream', () =>
        a.call({ op: 'stream', sid, msgId: 's1', chunks, ref: 's' }, (e) => e.event === 'streamed' && e.ref === 's', 'streamed', 15000),
      );
      const cmds = ctx.commands(sid).filter((c) => c.json?.data?.msgId === 's1');
      const firsts = cmds.filter((c, i) => cmds.findIndex((x) => x.json?.id === c.json?.id) === i);
      const shape = firsts.map((c) => (c.json?.type === 'message.delta' ? `d${c.json.data?.i}` : c.json?.type));
      t.equal(
        'AGENT-WRITER-1',
        shape,
        ['message.start', ...chunks.map((_, i) => `d${i}`), 'message.complete'],
        'start, chunks 0..14 in order, complete',
        { payload: excerpt(shape) },
      );
      t.expect('ENV-ID-1', new Set(firsts.map((c) => c.json?.id)).size === firsts.length, 'each command of the stream has its own id', {
        payload: excerpt(firsts.map((c) => c.json?.id)),
      });
      const page = await alice.request('history.get', { sid, after: Number(done.seq) - 1, compact: false });
      t.equal(
        'AGENT-WRITER-1',
        page?.data?.events?.[0]?.data?.parts,
        [{ kind: 'text', text: chunks.join('') }],
        'the completed message holds every chunk once, in order',
        seen(alice.replyTo, page?.data?.events?.[0]),
      );
    },
  },
  {
    id: 'agent.writer.cut',
    profile: 'agent',
    covers: ['AGENT-WRITER-2', 'CLIENT-RETRY-2'],
    description:
      'When its connection is cut mid-stream, the agent resends its unconfirmed commands with their original ids in their original order before any new command; each chunk ends up in the log once.',
    timeoutMs: 30000,
    async run(ctx, t) {
      const { a, alice, sid } = await agentSession(ctx);
      const chunks = Array.from({ length: 30 }, (_, i) => `c${i} `);
      a.send({ op: 'stream', sid, msgId: 'cut', chunks, delayMs: 15, ref: 's' });
      for (let i = 0; i < 100 && !ctx.commands(sid).some((c) => c.json?.data?.i === 10); i++) await ctx.sleep(20);
      const before = ctx.commands(sid).length;
      const connects = ctx.wire('connect').length;
      await ctx.cut(300);
      const done = await a.waitFor((e) => e.event === 'streamed' && e.ref === 's', 'streamed', 20000).catch(() => undefined);
      const earlier = ctx
        .commands(sid)
        .slice(0, before)
        .map((c) => c.json?.id);
      const after = ctx
        .commands(sid)
        .slice(before)
        .filter((c) => c.at > (ctx.wire('connect')[connects]?.at ?? Infinity));
      const firstNew = after.findIndex((c) => !earlier.includes(c.json?.id));
      const resent = (firstNew === -1 ? after : after.slice(0, firstNew)).map((c) => earlier.indexOf(c.json?.id));
      const lateResend =
        firstNew === -1
          ? []
          : after.slice(firstNew).filter((c) => earlier.includes(c.json?.id) && earlier.indexOf(c.json?.id) < Math.max(...resent, -1));
      t.expect(
        'AGENT-WRITER-2',
        resent.every((x, i) => i === 0 || x > resent[i - 1]) && lateResend.length === 0,
        'after the reconnect, resent commands come first, with their original ids, in their original order',
        { payload: excerpt({ resentOriginalPositions: resent, firstNewAt: firstNew }) },
      );
      const log = await ctx.log(alice, sid);
      const deltas = log.filter((e) => e.type === 'message.delta' && e.data.msgId === 'cut').map((e) => e.data.i);
      t.equal(
        'CLIENT-RETRY-2',
        deltas,
        chunks.map((_, i) => i),
        'each chunk is in the log once, in order, after the cut',
        { payload: excerpt({ deltas, streamed: done !== undefined }) },
      );
    },
  },
  {
    id: 'agent.writer.out-of-order',
    profile: 'agent',
    covers: ['AGENT-WRITER-3'],
    description:
      'When a chunk is lost and the host answers STREAM_OUT_OF_ORDER with expected = k, the agent resends from chunk k on, in order, with the original ids.',
    async run(ctx, t) {
      const { a, alice, sid } = await agentSession(ctx);
      let dropped = false;
      ctx.onPublish((p, topic, payload) => {
        if (dropped || p !== ctx.principal || !topic.endsWith(`/submit/${ctx.principal}`)) return 'pass';
        const j = JSON.parse(payload.toString());
        if (j.type === 'message.delta' && j.data?.i === 5) {
          dropped = true;
          return 'drop';
        }
        return 'pass';
      });
      const chunks = Array.from({ length: 12 }, (_, i) => `k${i} `);
      await t.need('stream', () =>
        a.call(
          { op: 'stream', sid, msgId: 'ooo', chunks, ref: 's' },
          (e) => (e.event === 'streamed' || e.event === 'error') && e.ref === 's',
          'streamed',
          15000,
        ),
      );
      const deltas = ctx.commands(sid).filter((c) => c.json?.type === 'message.delta');
      const idOf = new Map<unknown, unknown>();
      for (const d of deltas) if (!idOf.has(d.json?.data?.i)) idOf.set(d.json?.data?.i, d.json?.id);
      const sameIds = deltas.every((d) => idOf.get(d.json?.data?.i) === d.json?.id);
      const log = await ctx.log(alice, sid);
      const inLog = log.filter((e) => e.type === 'message.delta').map((e) => e.data.i);
      t.expect('AGENT-WRITER-3', dropped && sameIds, 'the resent chunks carry their original ids', {
        payload: excerpt(deltas.map((d) => [d.json?.data?.i, d.json?.id])),
      });
      t.equal(
        'AGENT-WRITER-3',
        inLog,
        chunks.map((_, i) => i),
        'every chunk ends up in the log once, in order',
        { payload: excerpt(inLog) },
      );
    },
  },
  {
    id: 'agent.cancel',
    profile: 'agent',
    covers: ['AGENT-CANCEL-1', 'AGENT-CANCEL-2', 'AGENT-CANCEL-3'],
    description:
      "On run.cancel_requested for its run, the agent completes the run's open stream as cancelled and finishes the run as cancelled, within 5 s.",
    timeoutMs: 20000,
    async run(ctx, t) {
      const { a, alice, sid } = await agentSession(ctx);
      await t.need('run', () => a.call({ op: 'run', sid, runId: 'r1', ref: 'r' }, (e) => e.event === 'run.started', 'run.started'));
      const chunks = Array.from({ length: 200 }, (_, i) => `slow${i} `);
      a.send({ op: 'stream', sid, msgId: 'long', runId: 'r1', chunks, delayMs: 40, ref: 's' });
      for (let i = 0; i < 100 && ctx.commands(sid).filter((c) => c.json?.type === 'message.delta').length < 5; i++) await ctx.sleep(20);
      const cancelSeq = await ctx.ok(alice, sid, 'run.cancel', { runId: 'r1', reason: 'stop' });
      await alice.subscribe(topics.events(sid));
      const finished = await alice
        .waitForEvent(sid, (e) => e.type === 'run.finished' && e.data?.runId === 'r1', 'run.finished')
        .catch(() => undefined);
      const log = await ctx.log(alice, sid, cancelSeq);
      const fin = log.find((e) => e.type === 'run.finished' && e.data.runId === 'r1');
      const comp = log.find((e) => e.type === 'message.completed' && e.data.msgId === 'long');
      t.expect(
        'AGENT-CANCEL-1',
        fin?.data?.status === 'cancelled',
        'the run is finished with status cancelled',
        seen(undefined, fin ?? 'no run.finished'),
      );
      t.expect(
        'AGENT-CANCEL-2',
        comp?.data?.status === 'cancelled' && comp.seq < (fin?.seq ?? 0),
        'the open stream of the run is completed as cancelled before the run is finished',
        seen(undefined, comp ?? 'no message.completed'),
      );
      const took = fin
        ? Date.parse(fin.time) -
          Date.parse(
            (await alice.request('history.get', { sid, after: cancelSeq - 1, to: cancelSeq, compact: false }))?.data?.events?.[0]?.time,
          )
        : Infinity;
      t.expect(
        'AGENT-CANCEL-3',
        finished !== undefined && took <= 5000,
        `the run is finished within 5 s of run.cancel_requested (${took} ms)`,
        seen(undefined, fin),
      );
    },
  },
  {
    id: 'agent.steer',
    profile: 'agent',
    covers: ['AGENT-STEER-1', 'AGENT-STEER-2'],
    description:
      'Of a chain of steers that arrive together the agent acts on the latest only, and confirms it with steer.apply naming its seq.',
    timeoutMs: 20000,
    async run(ctx, t) {
      const { a, alice, sid } = await agentSession(ctx);
      await t.need('run', () => a.call({ op: 'run', sid, runId: 'r1', ref: 'r' }, (e) => e.event === 'run.started', 'run.started'));
      ctx.proxy!.refuse(true);
      ctx.proxy!.cut();
      const s1 = await ctx.ok(alice, sid, 'steer', { runId: 'r1', text: 'first idea' });
      const s2 = await ctx.ok(alice, sid, 'steer', { runId: 'r1', text: 'second idea' });
      const s3 = await ctx.ok(alice, sid, 'steer', { runId: 'r1', text: 'final idea' });
      ctx.proxy!.refuse(false);
      const steered = await a.waitFor((e) => e.event === 'steered' && e.sid === sid, 'steered', 8000).catch(() => undefined);
      await ctx.sleep(500);
      const applies = ctx
        .commands(sid)
        .filter((c) => c.json?.type === 'steer.apply')
        .map((c) => c.json?.data?.steerSeq);
      t.expect(
        'AGENT-STEER-2',
        !applies.includes(s1) &&
          !applies.includes(s2) &&
          !a.events.some((e) => e.event === 'steered' && (e.steerSeq === s1 || e.steerSeq === s2)),
        'superseded steers are treated as withdrawn: not applied',
        { payload: excerpt({ applies, steered: a.events.filter((e) => e.event === 'steered') }) },
      );
      t.expect(
        'AGENT-STEER-1',
        applies.includes(s3) && steered?.steerSeq === s3,
        `the latest steer (seq ${s3}) is confirmed with steer.apply`,
        { payload: excerpt(applies) },
      );
    },
  },
  {
    id: 'agent.input.outcome',
    profile: 'agent',
    covers: ['INPUT-AGENT-1'],
    description: 'The agent takes the outcome of its input request from the input.resolved event only, not earlier.',
    async run(ctx, t) {
      const { a, alice, sid } = await agentSession(ctx);
      const releaseResolution = ctx.holdEventsContaining(sid, '"input.resolved"');
      await t.need('ask', () =>
        a.call(
          { op: 'ask', sid, requestId: 'q1', prompt: 'Deploy?', answerSchema: { type: 'boolean' }, ref: 'q' },
          (e) => e.event === 'asked',
          'asked',
        ),
      );
      await ctx.ok(alice, sid, 'input.answer', { requestId: 'q1', value: false });
      await ctx.sleep(500);
      const early = a.events.filter((e) => e.event === 'resolved' && e.sid === sid);
      await releaseResolution();
      const resolved = await a
        .waitFor((e) => e.event === 'resolved' && e.sid === sid && e.requestId === 'q1', 'resolved', 13000)
        .catch(() => undefined);
      t.expect(
        'INPUT-AGENT-1',
        early.length === 0 && resolved?.outcome === 'answered' && resolved.value === false && resolved.by === alice.principal,
        'the outcome is taken from input.resolved, once it is delivered',
        { payload: excerpt({ early, resolved }) },
      );
    },
  },
  {
    id: 'agent.inbox',
    profile: 'agent',
    covers: ['AGENT-INBOX-1', 'AGENT-INBOX-2', 'ROLE-AGENT-1'],
    description:
      'The agent subscribes to its doorbell and lists its inbox on connect and when items are pending; it joins assigned sessions and disposes of the items it took into account.',
    async run(ctx, t) {
      await ctx.connected();
      await ctx.sleep(300);
      const bellSub = ctx.wire('subscribe').some((s) => s.topic === topics.inbox(ctx.principal));
      const firstList = ctx.requests('inbox.list')[0];
      t.expect('AGENT-INBOX-1', bellSub && firstList !== undefined, 'it subscribes to its doorbell and lists its inbox when it connects', {
        payload: excerpt({ bellSub, firstList: firstList?.json }),
      });
      t.expect(
        'ROLE-AGENT-1',
        firstList?.json?.data?.agentId === ctx.principal,
        'it asks for its inbox under its principal',
        seen(firstList?.topic, firstList?.json),
      );
      const alice = await ctx.peer('alice');
      const lists = ctx.requests('inbox.list').length;
      const sid = await ctx.session(alice, 'agent');
      const joined = await ctx.adapter!.waitFor((e) => e.event === 'joined' && e.sid === sid, 'joined', 8000).catch(() => undefined);
      t.expect(
        'AGENT-INBOX-1',
        ctx.requests('inbox.list').length > lists && joined !== undefined,
        'when the doorbell shows a pending item it lists the inbox and joins the assigned session',
        { payload: excerpt(joined) },
      );
      await ctx.sleep(500);
      const verbs = ctx
        .wire('publish')
        .filter(
          (p) => p.topic === topics.requests(ctx.principal) && ['inbox.ack', 'inbox.archive', 'inbox.defer'].includes(String(p.json?.type)),
        );
      t.expect('AGENT-INBOX-2', verbs.length > 0, 'it acks, archives or defers the items it took into account', {
        payload: excerpt(verbs.map((v) => v.json)),
      });
    },
  },
]);
