/** Agent and client profiles: the resume algorithm, retries across cuts and broker restarts, expired cursors, late join [CLIENT-RESUME-*, CLIENT-RETRY-*, CLIENT-RESET-1]. */
import type { Check } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { ImplCheckContext } from '../impl/context.ts';
import { text } from '../kit/payloads.ts';
import type { AdapterEvent } from '../harness/adapter.ts';

type Profile = 'client' | 'agent';

/** Seqs delivered for a session, in order; with the problems (repeats, gaps, disorder) found. */
export function deliveryProblems(events: AdapterEvent[], from = 1, allowReset = false): string[] {
  const problems: string[] = [];
  let last = from - 1;
  for (const e of events) {
    if (e.event === 'reset' && allowReset) {
      last = Number(e.atSeq);
      continue;
    }
    if (e.event !== 'delivered') continue;
    const seq = Number(e.seq);
    if (seq <= last) problems.push(`seq ${e.seq} delivered after ${last}`);
    else if (seq !== last + 1 && !(e.type === 'message.delta' && e.data?.n)) {
      // A merged delta of a page covers earlier seqs; anything else must follow directly.
      problems.push(`seq ${e.seq} delivered after ${last}: ${seq - last - 1} skipped`);
    }
    last = Math.max(last, seq);
  }
  return problems;
}

const ofSession = (a: { events: AdapterEvent[] }, sid: string) =>
  a.events.filter((e) => (e.event === 'delivered' || e.event === 'reset') && e.sid === sid);

export function resumeChecks(profile: Profile): Check<ImplCheckContext>[] {
  return [
    {
      id: `${profile}.resume.join`,
      profile,
      covers: ['CLIENT-RESUME-2', 'CLIENT-RESUME-4', 'CLIENT-RESUME-5', 'CLIENT-DELIVER-1', 'CLIENT-DELIVER-2', 'CLIENT-STATE-1'],
      description:
        "Joining a session of 45 events: subscribe to its events first, history.get after lastSeq page after page while more, every event delivered once in order, whatever the retained state's headSeq says.",
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        const acks = await t.need('44 messages', () =>
          Promise.all(Array.from({ length: 44 }, (_, i) => alice.command(sid, 'message.send', text(`m${i}`)))),
        );
        const head = Math.max(...acks.map((r) => Number(r.data?.seq ?? 0)));
        const joined = await ctx.join(sid, 15000);
        await ctx.delivered(sid, head);
        const subEvents = ctx.wire('subscribe').find((s) => s.topic === `tether/v1/sessions/${sid}/events`);
        const gets = ctx.requests('history.get').filter((r) => r.json?.data?.sid === sid);
        t.expect(
          'CLIENT-RESUME-2',
          subEvents !== undefined && gets.length > 0 && subEvents.at < gets[0].at,
          'it subscribes to the events topic before its first history.get',
          { payload: excerpt({ subscribe: subEvents?.at, firstGet: gets[0]?.at }) },
        );
        t.expect(
          'CLIENT-RESUME-4',
          (gets[0]?.json?.data?.after ?? 0) === 0,
          'the first history.get has after = lastSeq (0 for a session never seen)',
          seen(gets[0]?.topic, gets[0]?.json),
        );
        // Each page that says more must be followed by a history.get with after = that page's to. Not
        // necessarily the very next request: a client may already have asked for the page after it
        // (prefetch), and a resync (a new connection or host epoch under load) asks again from lastSeq.
        const pages = ctx.wire('deliver').filter((d) => d.json?.type === 'history.page' && d.json?.data?.sid === sid);
        const followUps = pages
          .filter((p) => p.json?.data?.more)
          .map((p) => ({
            to: p.json?.data?.to,
            next: gets.find((g) => g.at > p.at && g.json?.data?.after === p.json?.data?.to) ?? gets.find((g) => g.at > p.at),
          }));
        const chained =
          pages.length >= Math.ceil(head / 20) && followUps.length > 0 && followUps.every((f) => f.next?.json?.data?.after === f.to);
        t.expect(
          'CLIENT-RESUME-5',
          chained,
          `while more is true it asks again with after = the previous page's to (${head} events, pages of 20)`,
          { payload: excerpt(followUps.map((f) => ({ pageTo: f.to, nextAfter: f.next?.json?.data?.after }))) },
        );
        const delivered = a.delivered(sid);
        const problems = deliveryProblems(delivered);
        t.expect(
          'CLIENT-DELIVER-1',
          problems.length === 0 && delivered.length > 0,
          'events are delivered in strictly increasing seq order, each once',
          { payload: excerpt(problems) },
        );
        t.equal(
          'CLIENT-DELIVER-2',
          delivered.map((e) => e.seq),
          Array.from({ length: head }, (_, i) => i + 1),
          `seqs 1..${head} are delivered with none skipped`,
          { payload: excerpt(delivered.map((e) => e.seq)) },
        );
        t.expect(
          'CLIENT-STATE-1',
          joined.lastSeq === head || delivered.at(-1)?.seq === head,
          `it caught up to seq ${head}, beyond the headSeq of the last retained state (messages publish no state)`,
          seen(undefined, joined),
        );
      },
    },
    {
      id: `${profile}.resume.buffering`,
      profile,
      covers: ['CLIENT-RESUME-3', 'CLIENT-DELIVER-1'],
      description:
        'Live events that arrive while its history.get is outstanding are buffered: nothing is delivered before the page, and everything in seq order after it.',
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        await t.need('5 messages', () =>
          Promise.all(Array.from({ length: 5 }, (_, i) => alice.command(sid, 'message.send', text(`m${i}`)))),
        );
        let releasedAt = Infinity;
        ctx.onPublish((_p, topic, payload, fromHost) =>
          fromHost &&
          topic.startsWith(`tether/v1/replies/${ctx.principal}/`) &&
          payload.includes('"history.page"') &&
          releasedAt === Infinity
            ? 'hold'
            : 'pass',
        );
        a.send({ op: 'join', sid, ref: 'j' });
        for (let i = 0; i < 50 && !ctx.requests('history.get').some((r) => r.json?.data?.sid === sid); i++) await ctx.sleep(100);
        if (!ctx.requests('history.get').some((r) => r.json?.data?.sid === sid))
          t.notTestable('the implementation sent no history.get for the session it joins');
        for (let i = 5; i < 8; i++) await ctx.ok(alice, sid, 'message.send', text(`m${i}`));
        await ctx.sleep(500);
        const early = a.delivered(sid);
        releasedAt = performance.now();
        await ctx.release();
        await ctx.delivered(sid, 9);
        t.expect('CLIENT-RESUME-3', early.length === 0, 'no live event is delivered while the history.get is outstanding', {
          payload: excerpt(early.map((e) => e.seq)),
        });
        const problems = deliveryProblems(a.delivered(sid));
        t.equal(
          'CLIENT-DELIVER-1',
          a.delivered(sid).map((e) => e.seq),
          [1, 2, 3, 4, 5, 6, 7, 8, 9],
          "after the page, the page's events then the buffered live ones, in seq order, each once",
          { payload: excerpt(problems) },
        );
      },
    },
    {
      id: `${profile}.resume.reconnect`,
      profile,
      covers: ['CLIENT-RETRY-1', 'CLIENT-RETRY-2', 'ENV-ID-2', 'CLIENT-RESUME-4', 'CLIENT-DELIVER-1'],
      description:
        'A command that got no answer is kept and resent after the connection is cut, with the same id, type and data; the client resumes with history after its lastSeq and delivers the missed events once.',
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        await ctx.ok(alice, sid, 'message.send', text('m0'));
        await ctx.join(sid);
        const before = a.delivered(sid).at(-1)?.seq ?? 0;
        // Every copy is dropped until the cut: a copy resent on the old connection (after a host
        // rebirth, or by a resend timer) must not be answered there, or nothing is left to resend.
        let dropped = false;
        let dropping = true;
        ctx.onPublish((p, topic, payload) =>
          dropping &&
          p === ctx.principal &&
          topic === `tether/v1/sessions/${sid}/submit/${ctx.principal}` &&
          payload.includes('"message.send"')
            ? ((dropped = true), 'drop')
            : 'pass',
        );
        a.send({ op: 'send', sid, msgId: 'kept', text: 'lost once', ref: 'k' });
        for (let i = 0; i < 50 && !dropped; i++) await ctx.sleep(50);
        if (!dropped) t.notTestable('the implementation did not publish the message.send');
        // Let the PUBACK arrive first: the MQTT library then holds nothing in flight, only the application can resend.
        await ctx.sleep(200);
        const original = ctx.commands(sid).find((c) => c.json?.type === 'message.send')!;
        const connects = ctx.wire('connect').length;
        const getsBefore = ctx.requests('history.get').length;
        dropping = false;
        const cutAt = performance.now();
        await ctx.cut(300);
        await ctx.ok(alice, sid, 'message.send', text('while away 1'));
        const last = await ctx.ok(alice, sid, 'message.send', text('while away 2'));
        const sent = await a.waitFor((e) => e.event === 'sent' && e.ref === 'k', 'the kept command answered', 10000).catch(() => undefined);
        t.expect(
          'CLIENT-RETRY-1',
          sent !== undefined,
          'the command that got no answer before the cut was kept and is answered after the reconnect',
          { payload: excerpt(sent) },
        );
        const resent = ctx.commands(sid).filter((c) => c.json?.id === original.json?.id);
        const after = resent.filter((c) => c.at > cutAt);
        t.expect(
          'CLIENT-RETRY-2',
          after.length >= 1 && ctx.wire('connect').length > connects,
          'after the reconnect it resends the kept command',
          { payload: excerpt(resent.map((r) => r.json)) },
        );
        t.expect(
          'ENV-ID-2',
          resent.length >= 2 &&
            resent.every(
              (r) => JSON.stringify([r.json?.type, r.json?.data]) === JSON.stringify([original.json?.type, original.json?.data]),
            ),
          'the resent command has the same id, type and data',
          { payload: excerpt(resent.map((r) => r.json)) },
        );
        await ctx.delivered(sid, last);
        const afterCut = () =>
          ctx
            .requests('history.get')
            .slice(getsBefore)
            .find((r) => r.json?.data?.sid === sid);
        for (let i = 0; i < 30 && !afterCut(); i++) await ctx.sleep(100);
        const get = afterCut();
        t.expect(
          'CLIENT-RESUME-4',
          get !== undefined && Number(get.json?.data?.after) >= before,
          `on the new connection it sends history.get with after = its lastSeq (${before} or later)`,
          seen(get?.topic, get?.json ?? 'no history.get after the reconnect'),
        );
        const problems = deliveryProblems(a.delivered(sid));
        t.expect(
          'CLIENT-DELIVER-1',
          problems.length === 0 && (a.delivered(sid).at(-1)?.seq ?? 0) >= last,
          'the missed events are delivered once, in order',
          { payload: excerpt(problems) },
        );
      },
    },
    {
      id: `${profile}.resume.broker-restart`,
      profile,
      covers: ['MQTT-SESSION-3', 'CLIENT-RESUME-4', 'CLIENT-DELIVER-1'],
      description:
        "After a restart of broker and host (the broker's sessions and retained messages are lost) the implementation subscribes again, resumes from history and delivers new events once, in order.",
      exclusive: true,
      timeoutMs: 30000,
      async run(ctx, t) {
        const a = await ctx.connected();
        let alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        await ctx.ok(alice, sid, 'message.send', text('before'));
        await ctx.join(sid);
        const subsBefore = ctx.wire('subscribe').length;
        await alice.close();
        await ctx.suite.restart();
        alice = await ctx.peer('alice');
        const s1 = await ctx.ok(alice, sid, 'message.send', text('after 1'));
        await ctx.sleep(1500);
        const s2 = await ctx.ok(alice, sid, 'message.send', text('after 2'));
        const got = await ctx.delivered(sid, s2, 15000);
        const resub = ctx
          .wire('subscribe')
          .slice(subsBefore)
          .some((s) => s.topic === `tether/v1/sessions/${sid}/events`);
        t.expect(
          'MQTT-SESSION-3',
          resub && got !== undefined,
          "it subscribed to the session's events again on the new connection and receives live events",
          {
            payload: excerpt(
              ctx
                .wire('subscribe')
                .slice(subsBefore)
                .map((s) => s.topic),
            ),
          },
        );
        const gets = ctx.requests('history.get').filter((r) => r.json?.data?.sid === sid);
        t.expect(
          'CLIENT-RESUME-4',
          gets.length >= 2 && Number(gets.at(-1)?.json?.data?.after) >= 2,
          'it asked for history after its lastSeq on the new connection',
          { payload: excerpt(gets.map((g) => g.json?.data)) },
        );
        t.expect(
          'CLIENT-DELIVER-1',
          deliveryProblems(a.delivered(sid)).length === 0 && a.delivered(sid).some((e) => e.seq === s1),
          'the events after the restart are delivered once, in order',
          { payload: excerpt(a.delivered(sid).map((e) => e.seq)) },
        );
      },
    },
    {
      id: `${profile}.resume.new-host-epoch`,
      profile,
      covers: ['CLIENT-RETRY-3'],
      description: 'A command that got no answer should be resent when the host state shows a new online epoch.',
      exclusive: true,
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        await ctx.join(sid);
        let dropped = false;
        ctx.onPublish((p, topic, payload) =>
          !dropped && p === ctx.principal && topic.endsWith(`/submit/${ctx.principal}`) && payload.includes('"message.send"')
            ? ((dropped = true), 'drop')
            : 'pass',
        );
        a.send({ op: 'send', sid, msgId: 'epoch', text: 'resend me', ref: 'e' });
        for (let i = 0; i < 50 && !dropped; i++) await ctx.sleep(50);
        const hostTopic = `tether/v1/host/${ctx.suite.hostId}/state`;
        const watcher = await ctx.peer('watcher');
        await watcher.subscribe(hostTopic);
        const birth = await t.need('the host birth', () =>
          watcher.waitFor((m) => m.topic === hostTopic && m.json?.status === 'online', 'host birth', 3000),
        );
        await ctx.suite.inject(hostTopic, { ...birth.json, epoch: birth.json!.epoch + 1000, time: new Date().toISOString() }, true);
        const sent = await a.waitFor((e) => e.event === 'sent' && e.ref === 'e', 'the kept command answered', 3000).catch(() => undefined);
        t.expect(
          'CLIENT-RETRY-3',
          sent !== undefined,
          'the kept command is resent when the host announces a new epoch (well before 10 s)',
          { payload: excerpt(ctx.commands(sid).map((c) => c.json?.id)) },
        );
      },
    },
    {
      id: `${profile}.resume.expired-cursor`,
      profile,
      covers: ['CLIENT-RESET-1', 'CLIENT-DELIVER-2'],
      description:
        'When history answers with a reset (cursor older than retention), the implementation takes the snapshot at atSeq, tells the application, and delivers the events from atSeq + 1.',
      timeoutMs: 30000,
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        let head = 1;
        for (let chunk = 0; chunk < 150; chunk += 50) {
          const acks = await t.need('50 messages', () =>
            Promise.all(Array.from({ length: 50 }, (_, i) => alice.command(sid, 'message.send', text(`m${chunk + i}`)))),
          );
          head = Math.max(head, ...acks.map((r) => r.data?.seq ?? 0));
        }
        await ctx.join(sid, 15000);
        await ctx.delivered(sid, head);
        const reset = a.events.find((e) => e.event === 'reset' && e.sid === sid);
        const page = ctx.wire('deliver').find((d) => d.json?.type === 'history.page' && d.json?.data?.reset && d.json?.data?.sid === sid);
        if (!page) t.notTestable("the suite's host answered without a reset (retention did not drop the first events)");
        const at = Number(page!.json!.data!.reset!.atSeq);
        t.expect(
          'CLIENT-RESET-1',
          reset?.atSeq === at && reset?.state?.headSeq === at,
          `the application is told that events up to ${at} were replaced by the snapshot`,
          seen(undefined, reset ?? 'no reset event'),
        );
        const delivered = a.delivered(sid);
        t.expect(
          'CLIENT-RESET-1',
          delivered.length > 0 && delivered[0].seq === at + 1 && delivered.every((e) => Number(e.seq) > at),
          `delivery continues at atSeq + 1 (${at + 1})`,
          { payload: excerpt(delivered.slice(0, 3).map((e) => e.seq)) },
        );
        const idx = a.events.indexOf(reset!);
        t.expect(
          'CLIENT-RESET-1',
          reset !== undefined && a.events.findIndex((e) => e.event === 'delivered' && e.sid === sid) > idx,
          "the reset is signalled before the page's events are delivered",
          { payload: excerpt(a.events.slice(Math.max(0, idx - 1), idx + 2)) },
        );
        t.expect(
          'CLIENT-DELIVER-2',
          deliveryProblems(ofSession(a, sid), 1, true).length === 0 && delivered.at(-1)?.seq === head,
          'no seq is skipped except those replaced by the signalled snapshot',
          { payload: excerpt(deliveryProblems(ofSession(a, sid), 1, true)) },
        );
      },
    },
    {
      id: `${profile}.resume.late-join-mid-stream`,
      profile,
      covers: ['CLIENT-COMPACT-1', 'CMD-STREAM-8', 'CLIENT-PAGE-2'],
      description:
        'Joining in the middle of a token stream, it accepts the merged chunks of the page and continues with the live chunks; the parts of message.completed replace the streamed text.',
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const bot = await ctx.peer('bot');
        const sid = await ctx.session(alice, 'member', [{ principal: bot.principal, role: 'agent' }]);
        await ctx.ok(bot, sid, 'message.start', { msgId: 'answer', role: 'agent' });
        for (let i = 0; i < 8; i++) await ctx.ok(bot, sid, 'message.delta', { msgId: 'answer', i, text: `t${i} ` });
        await ctx.join(sid);
        for (let i = 8; i < 12; i++) await ctx.ok(bot, sid, 'message.delta', { msgId: 'answer', i, text: `t${i} ` });
        const parts = [{ kind: 'text', text: 'The final, edited answer.' }];
        const done = await ctx.ok(bot, sid, 'message.complete', { msgId: 'answer', parts });
        await ctx.delivered(sid, done);
        const asked = ctx.requests('history.get').find((r) => r.json?.data?.sid === sid);
        const merged = a.delivered(sid).filter((e) => e.type === 'message.delta' && typeof e.data?.n === 'number');
        if (asked?.json?.data?.compact === false)
          t.expect(
            'CLIENT-COMPACT-1',
            true,
            'the implementation asks for uncompacted history, so merged chunks never reach it',
            seen(asked.topic, asked.json),
          );
        else
          t.expect(
            'CLIENT-COMPACT-1',
            merged.length > 0 && deliveryProblems(a.delivered(sid)).length === 0 && a.delivered(sid).some((e) => e.seq === done),
            'the merged delta of the page is delivered and the stream continues with the live chunks, in order',
            { payload: excerpt(a.delivered(sid).map((e) => [e.seq, e.type, e.data?.i, e.data?.n])) },
          );
        const mergedDelta = merged[0];
        const nextChunk = a
          .delivered(sid)
          .find(
            (e) => e.type === 'message.delta' && mergedDelta && e.data?.i === Number(mergedDelta.data?.i) + Number(mergedDelta.data?.n),
          );
        const pageEnd = ctx
          .wire('deliver')
          .filter((d) => d.json?.type === 'history.page' && d.json?.data?.sid === sid)
          .at(0)?.json?.data?.to;
        const extraGets = ctx
          .requests('history.get')
          .filter((r) => r.json?.data?.sid === sid && Number(r.json?.data?.after) >= Number(pageEnd ?? Infinity));
        if (mergedDelta)
          t.expect(
            'CLIENT-PAGE-2',
            nextChunk !== undefined && extraGets.length === 0,
            `after the merged delta (i ${mergedDelta.data?.i}, n ${mergedDelta.data?.n}) the live chunk ${Number(mergedDelta.data?.i) + Number(mergedDelta.data?.n)} continues the stream without a gap request`,
            { payload: excerpt({ next: nextChunk?.seq, gets: extraGets.map((g) => g.json?.data) }) },
          );
        else
          t.expect(
            'CLIENT-PAGE-2',
            asked?.json?.data?.compact === false && deliveryProblems(a.delivered(sid)).length === 0,
            'no merged delta reached it (uncompacted history): the chunks follow one by one',
            { payload: excerpt(a.delivered(sid).map((e) => [e.seq, e.data?.i])) },
          );
        // The content event follows the delivery of message.completed, possibly in a later read.
        const content = await a
          .waitFor((e) => e.event === 'content' && e.sid === sid && e.msgId === 'answer', 'the message content', 4000)
          .catch(() => undefined);
        t.equal(
          'CMD-STREAM-8',
          content?.parts,
          parts,
          'the final content of the message is the parts of message.completed, not the streamed text',
          seen(undefined, content ?? 'no content event'),
        );
      },
    },
    {
      id: `${profile}.resume.reconnect-buffering`,
      profile,
      covers: ['CLIENT-RESUME-9'],
      description:
        'Live events that arrive on a new connection (queued by the broker, delivered with the CONNACK) are not delivered before the catch-up of the session ended.',
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        await ctx.join(sid);
        const before = a.delivered(sid).at(-1)?.seq ?? 0;
        ctx.proxy!.refuse(true);
        ctx.proxy!.cut();
        const sent: number[] = [];
        for (let i = 0; i < 3; i++) sent.push(await ctx.ok(alice, sid, 'message.send', text(`queued${i}`)));
        let releasedAt = Infinity;
        ctx.onPublish((_p, topic, payload, fromHost) =>
          fromHost &&
          releasedAt === Infinity &&
          topic.startsWith(`tether/v1/replies/${ctx.principal}/`) &&
          payload.includes('"history.page"')
            ? 'hold'
            : 'pass',
        );
        ctx.proxy!.refuse(false);
        for (let i = 0; i < 60 && ctx.held.length === 0; i++) await ctx.sleep(50);
        await ctx.sleep(400);
        const early = a.delivered(sid).filter((e) => Number(e.seq) > before);
        releasedAt = performance.now();
        await ctx.release();
        await ctx.delivered(sid, sent[2]);
        t.expect(
          'CLIENT-RESUME-9',
          early.length === 0 && a.delivered(sid).some((e) => e.seq === sent[2]),
          'events queued for the persistent session are held until the catch-up after the reconnect ended, then delivered in order',
          { payload: excerpt({ early: early.map((e) => e.seq), after: a.delivered(sid).map((e) => e.seq) }) },
        );
      },
    },
    {
      id: `${profile}.resume.history-retry`,
      profile,
      covers: ['CLIENT-RESUME-6', 'CLIENT-RESUME-7', 'CLIENT-RESUME-8'],
      description:
        'A history.get without reply is resent with a new id after 10 s; the late reply to the first one, whose from no longer matches lastSeq, is discarded.',
      timeoutMs: 30000,
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        for (let i = 0; i < 3; i++) await ctx.ok(alice, sid, 'message.send', text(`m${i}`));
        let held = false;
        ctx.onPublish((_p, topic, payload, fromHost) =>
          fromHost && !held && topic.startsWith(`tether/v1/replies/${ctx.principal}/`) && payload.includes('"history.page"')
            ? ((held = true), 'hold')
            : 'pass',
        );
        a.send({ op: 'join', sid, ref: 'j' });
        const joined = await a
          .waitFor((e) => e.event === 'joined' && e.sid === sid, 'joined after a resent history.get', 16000)
          .catch(() => undefined);
        const gets = ctx.requests('history.get').filter((r) => r.json?.data?.sid === sid);
        const resent = gets.length >= 2 && gets[1].json?.id !== gets[0].json?.id && gets[1].at - gets[0].at >= 9000;
        t.expect(
          'CLIENT-RESUME-6',
          resent && joined !== undefined,
          'the unanswered history.get is resent with a new request id after about 10 s',
          { payload: excerpt(gets.map((g) => ({ id: g.json?.id, after: Math.round(g.at - gets[0].at) }))) },
        );
        for (let i = 3; i < 5; i++) await ctx.ok(alice, sid, 'message.send', text(`m${i}`));
        await ctx.delivered(sid, 6);
        await ctx.release();
        await ctx.sleep(500);
        const seqs = a.delivered(sid).map((e) => e.seq);
        t.expect(
          'CLIENT-RESUME-7',
          seqs.join() === '1,2,3,4,5,6',
          'the late reply to the first history.get is ignored: nothing is delivered twice',
          { payload: excerpt(seqs) },
        );
        t.expect(
          'CLIENT-RESUME-8',
          deliveryProblems(a.delivered(sid)).length === 0 && a.events.filter((e) => e.event === 'reset').length === 0,
          'the stale page (from 0 while lastSeq is 6) is discarded',
          { payload: excerpt(seqs) },
        );
      },
    },
    {
      id: `${profile}.resume.participation`,
      profile,
      covers: ['TOPIC-SUB-3', 'TOPIC-SUB-4', 'CLIENT-LEAVE-1'],
      description:
        'A refused subscription is a refusal (no join yet) and should be retried once the principal becomes a participant; when its index entry is cleared the client should leave the session.',
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = ctx.sid();
        await t.need('session.create', () => alice.command(sid, 'session.create', { title: 'not yet yours' }));
        a.send({ op: 'join', sid, ref: 'j' });
        await ctx.sleep(700);
        const early = a.events.filter((e) => (e.event === 'joined' || e.event === 'delivered') && e.sid === sid);
        t.expect(
          'TOPIC-SUB-3',
          early.length === 0,
          'while the subscription is refused, the session is not reported joined and nothing is delivered',
          { payload: excerpt(early) },
        );
        await ctx.ok(alice, sid, 'participant.add', { principal: ctx.principal, role: 'member' });
        const joined = await a
          .waitFor((e) => e.event === 'joined' && e.sid === sid, 'joined once a participant', 6000)
          .catch(() => undefined);
        t.expect(
          'TOPIC-SUB-4',
          joined !== undefined,
          'the subscription is retried after the principal became a participant, and the session joined',
          { payload: excerpt(ctx.wire('subscribe').map((s) => s.topic)) },
        );
        t.expect('TOPIC-SUB-3', joined !== undefined && a.delivered(sid).length > 0, 'and the events are then delivered', {
          payload: excerpt(a.delivered(sid).map((e) => e.seq)),
        });
        await ctx.ok(alice, sid, 'participant.remove', { principal: ctx.principal });
        const left = await a.waitFor((e) => e.event === 'left' && e.sid === sid, 'left', 5000).catch(() => undefined);
        t.expect(
          'CLIENT-LEAVE-1',
          left !== undefined,
          'when its index entry is cleared it stops following the session and tells the application',
          seen(undefined, left ?? 'no left event'),
        );
      },
    },
  ];
}
