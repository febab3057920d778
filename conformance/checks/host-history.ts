/** Host profile: history pages, compaction, late join mid-stream and expired cursors [HIST-*]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { Probe } from '../core/probe.ts';
import type { HostCheckContext } from '../host/context.ts';
import { modelOf, stateDiff } from '../host/model.ts';
import type { HistoryQuery } from '../../schemas/src/index.ts';
import type { ObservedEvent, ObservedReply } from '../kit/observed.ts';
import { text } from '../kit/payloads.ts';

type PageData = NonNullable<ObservedReply['data']>;

const isStreamPart = (e: ObservedEvent) => e.type === 'message.started' || e.type === 'message.delta';

/** Whether a merged delta p of the page covers the raw delta e (same message, e's index inside p's i .. i+n-1). */
const mergedCovers = (p: ObservedEvent, e: ObservedEvent) =>
  p.type === 'message.delta' &&
  p.data?.msgId === e.data?.msgId &&
  typeof p.data?.n === 'number' &&
  e.type === 'message.delta' &&
  Number(e.data?.i) >= Number(p.data?.i) &&
  Number(e.data?.i) < Number(p.data?.i) + p.data.n;

/** Checks a compacted page against the uncompacted log of the same range [HIST-COMPACT-2..5]. */
function auditCompaction(t: Probe, page: PageData, raw: ObservedEvent[], topic: string): void {
  const from = page.from as number;
  const to = page.to as number;
  const events = page.events ?? [];
  const inRange = raw.filter((e) => Number(e.seq) > from && Number(e.seq) <= to);
  const completedInPage = new Set(events.filter((e) => e.type === 'message.completed').map((e) => e.data?.msgId));
  const rawBySeq = new Map(inRange.map((e) => [e.seq, e]));
  const pageSeqs = new Set(events.map((e) => e.seq));
  for (const e of events) {
    if (e.type === 'message.delta' && typeof e.data?.n === 'number') {
      const n = e.data.n;
      const first = Number(e.data.i);
      const chunks = inRange
        .filter(
          (x) =>
            x.type === 'message.delta' && x.data?.msgId === e.data?.msgId && Number(x.data?.i) >= first && Number(x.data?.i) < first + n,
        )
        .sort((x, y) => Number(x.data?.i) - Number(y.data?.i));
      const last = chunks[chunks.length - 1];
      const ok =
        n >= 2 &&
        chunks.length === n &&
        chunks.every((c, k) => c.data?.i === first + k) &&
        last?.seq === e.seq &&
        chunks.every((c) => Number(c.seq) > from && Number(c.seq) <= to) &&
        e.data.text === chunks.map((c) => c.data?.text).join('') &&
        e.cid === last?.cid &&
        e.sender === last?.sender;
      t.expect(
        'HIST-COMPACT-4',
        ok,
        "a merged delta covers n >= 2 consecutive chunks of one message inside (from, to], with the last chunk's seq, cid and the texts joined",
        { topic, payload: excerpt(e), expected: excerpt(chunks) },
      );
    }
  }
  const streamMsgs = new Set(inRange.filter(isStreamPart).map((e) => e.data?.msgId));
  for (const msgId of streamMsgs) {
    const own = inRange.filter((e) => isStreamPart(e) && e.data?.msgId === msgId);
    const covered = own.filter((e) => pageSeqs.has(e.seq) || events.some((p) => mergedCovers(p, e)));
    const omitted = own.filter((e) => !covered.includes(e));
    if (omitted.length === 0) continue;
    t.expect(
      'HIST-COMPACT-2',
      completedInPage.has(msgId),
      `the started/delta events of ${msgId} are left out only when the page holds its message.completed`,
      { topic, payload: excerpt(omitted.map((e) => e.seq)), expected: `message.completed of ${msgId} in the page` },
    );
    t.expect(
      'HIST-COMPACT-3',
      covered.length === 0,
      `leaving out ${msgId}'s stream leaves out its message.started and all its deltas together`,
      { topic, payload: excerpt(covered.map((e) => e.seq)) },
    );
  }
  const uncovered = inRange.filter((e) => {
    if (pageSeqs.has(e.seq)) return false;
    if (isStreamPart(e)) return !(completedInPage.has(e.data?.msgId) || events.some((p) => mergedCovers(p, e)));
    return true;
  });
  t.expect(
    'HIST-PAGE-7',
    uncovered.length === 0,
    `every seq in (${from}, ${to}] is an event of the page or a stream event the page covers by compaction`,
    { topic, payload: excerpt(uncovered.map((e) => e.seq)) },
  );
  for (const e of inRange) {
    if (isStreamPart(e)) continue;
    const p = events.find((x) => x.seq === e.seq);
    t.expect(
      'HIST-COMPACT-5',
      p !== undefined && JSON.stringify(p) === JSON.stringify(rawBySeq.get(e.seq)),
      `event ${e.seq} (${e.type}) is in the compacted page unchanged`,
      { topic, payload: excerpt(p ?? 'missing'), expected: excerpt(e) },
    );
  }
}

export default defineChecks<HostCheckContext>([
  {
    id: 'host.history.pages',
    profile: 'host',
    covers: ['HIST-PAGE-1', 'HIST-PAGE-2', 'HIST-PAGE-3', 'HIST-PAGE-4', 'HIST-PAGE-5', 'HIST-PAGE-8'],
    description:
      'history.get returns events in (from, to] in order, to = last seq or from, more exactly when events remain up to the bound, at most limit events, ' +
      'and empty pages at or beyond the bound.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      for (let i = 0; i < 24; i++) await ctx.ok(alice, sid, 'message.send', text(`m${i}`));
      const head = 25;
      const q = async (data: Omit<HistoryQuery, 'sid'>) => alice.request('history.get', { sid, compact: false, ...data });
      const seqsOf = (p: ObservedReply | undefined) => (p?.data?.events ?? []).map((e) => e.seq);
      const p1 = await q({ after: 0, limit: 10 });
      const seqs1 = seqsOf(p1);
      t.equal(
        'HIST-PAGE-1',
        seqs1,
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        'after 0 with limit 10 returns seqs 1..10 in order',
        seen(alice.replyTo, p1),
      );
      t.expect('HIST-PAGE-4', seqs1.length <= 10, 'the page holds at most limit events', seen(alice.replyTo, p1));
      t.expect(
        'HIST-PAGE-2',
        p1?.data?.from === 0 && p1?.data?.to === seqs1[seqs1.length - 1],
        "from is after and to is the last event's seq",
        seen(alice.replyTo, p1),
      );
      t.expect(
        'HIST-PAGE-3',
        p1?.data?.more === true && p1?.data?.headSeq === head,
        'more is true while events remain; headSeq is the head',
        seen(alice.replyTo, p1),
      );
      const p2 = await q({ after: 10, to: 15 });
      t.equal('HIST-PAGE-1', seqsOf(p2), [11, 12, 13, 14, 15], 'after 10 to 15 returns seqs 11..15', seen(alice.replyTo, p2));
      t.expect(
        'HIST-PAGE-3',
        p2?.data?.more === false && p2?.data?.to === 15,
        'more is false when the page reaches the requested to',
        seen(alice.replyTo, p2),
      );
      const p3 = await q({ after: 20 });
      t.expect(
        'HIST-PAGE-3',
        p3?.data?.more === false && p3?.data?.to === head && p3?.data?.events?.length === head - 20,
        'the last page to the head has more false',
        seen(alice.replyTo, p3),
      );
      const bare = await alice.request('history.get', { sid, compact: false });
      const b = bare?.data;
      t.expect(
        'HIST-PAGE-8',
        b?.from === 0 && b?.events?.[0]?.seq === 1 && b?.to === head && b?.more === false,
        'without after and to, the page runs from seq 1 up to the head',
        seen(alice.replyTo, { ...b, events: seqsOf(bare) }),
      );
      const upTo = await alice.request('history.get', { sid, after: 20, compact: false });
      t.expect(
        'HIST-PAGE-8',
        upTo?.data?.to === head && upTo?.data?.more === false,
        'without to, the page reaches the head',
        seen(alice.replyTo, upTo?.data),
      );
      const p4 = await q({ after: 5, limit: 1000 });
      t.expect(
        'HIST-PAGE-4',
        (p4?.data?.events?.length ?? 0) <= Math.min(1000, Number(ctx.limits.maxHistoryPage ?? 1000)),
        'a page never exceeds the limit',
        seen(alice.replyTo, p4),
      );
      const tiny = await q({ after: 0, limit: 1 });
      t.expect(
        'HIST-PAGE-4',
        tiny?.data?.events?.length === 1 && tiny?.data?.more === true && tiny?.data?.to === 1,
        'limit 1 returns one event and more true',
        seen(alice.replyTo, tiny),
      );
      const bounds: [string, Omit<HistoryQuery, 'sid'>, number][] = [
        ['after = head', { after: head }, head],
        ['after beyond the head', { after: head + 7 }, head + 7],
        ['after = to', { after: 12, to: 12 }, 12],
        ['to below after', { after: 12, to: 3 }, 12],
      ];
      for (const [what, data, after] of bounds) {
        const p = await q(data);
        const d = p?.data;
        t.expect(
          'HIST-PAGE-5',
          p?.type === 'history.page' && d?.events?.length === 0 && d?.from === after && d?.to === after && d?.more === false,
          `${what}: an empty page with from = to = after and more false`,
          seen(alice.replyTo, p),
        );
      }
    },
  },
  {
    id: 'host.history.limit',
    profile: 'host',
    covers: ['HOST-LIMIT-4'],
    description: 'history.get with a limit above maxHistoryPage is refused with LIMIT_EXCEEDED.',
    async run(ctx, t) {
      const max = Number(ctx.limits.maxHistoryPage);
      if (!Number.isInteger(max) || max >= 5000)
        t.notTestable(`maxHistoryPage ${ctx.limits.maxHistoryPage}: the schema caps limit at 5000, so no valid request exceeds it`);
      const { sid, owner: alice } = await ctx.cast({});
      const over = await alice.request('history.get', { sid, limit: max + 1 });
      t.errorCode('HOST-LIMIT-4', over, 'LIMIT_EXCEEDED', `limit ${max + 1} with maxHistoryPage ${max}`, alice.replyTo);
      const at = await alice.request('history.get', { sid, limit: max });
      t.expect('HOST-LIMIT-4', at?.type === 'history.page', `limit = maxHistoryPage (${max}) is accepted`, seen(alice.replyTo, at));
    },
  },
  {
    id: 'host.history.compaction',
    profile: 'host',
    covers: ['HIST-COMPACT-1', 'HIST-COMPACT-2', 'HIST-COMPACT-3', 'HIST-COMPACT-4', 'HIST-COMPACT-5', 'HIST-PAGE-7'],
    description:
      'compact:false returns the events as appended; compact:true only leaves out streams completed in the page (started and deltas together) and merges ' +
      'consecutive chunks of open streams.',
    async run(ctx, t) {
      const { sid, owner: alice, agent } = await ctx.cast({ agent: 'agent' }, { follow: true });
      await ctx.ok(alice, sid, 'message.send', text('m0'));
      await ctx.ok(agent, sid, 'message.start', { msgId: 'done', role: 'agent' });
      for (let i = 0; i < 5; i++) await ctx.ok(agent, sid, 'message.delta', { msgId: 'done', i, text: `d${i} ` });
      const beforeComplete = await ctx.ok(alice, sid, 'message.send', text('m1'));
      await ctx.ok(agent, sid, 'message.complete', { msgId: 'done' });
      await ctx.ok(agent, sid, 'message.start', { msgId: 'open', role: 'agent' });
      for (let i = 0; i < 4; i++) await ctx.ok(agent, sid, 'message.delta', { msgId: 'open', i, text: `o${i} ` });
      await ctx.ok(agent, sid, 'run.start', { runId: 'r1' });
      const head = await ctx.ok(alice, sid, 'message.send', text('m2'));
      await ctx.waitSeq(alice, sid, head);
      const live = alice.events(sid);
      const raw = await alice.request('history.get', { sid, after: 1, compact: false });
      t.equal(
        'HIST-COMPACT-1',
        raw?.data?.events,
        live.filter((e) => Number(e.seq) > 1),
        'compact:false returns every event exactly as it was published live',
        { topic: alice.replyTo },
      );
      const rawAll = [...(await ctx.log(alice, sid))];
      const topic = alice.replyTo;
      const full = await alice.request('history.get', { sid, after: 0 });
      if (full?.type !== 'history.page') t.notTestable(`history.get was refused: ${excerpt(full)}`);
      auditCompaction(t, full.data!, rawAll, topic);
      const cut = await alice.request('history.get', { sid, after: 0, to: beforeComplete });
      if (cut?.type === 'history.page') auditCompaction(t, cut.data!, rawAll, topic);
      const startedOfDone = rawAll.find((e) => e.type === 'message.started' && e.data?.msgId === 'done');
      t.expect(
        'HIST-COMPACT-2',
        (cut?.data?.events ?? []).some((e) => e.seq === startedOfDone?.seq),
        'a page ending before message.completed keeps the message.started of that stream',
        seen(topic, cut),
      );
      const mid = await alice.request('history.get', { sid, after: 4 });
      if (mid?.type === 'history.page') auditCompaction(t, mid.data!, rawAll, topic);
    },
  },
  {
    id: 'host.history.late-join-mid-stream',
    profile: 'host',
    covers: ['HIST-COMPACT-2', 'HIST-PAGE-1'],
    description:
      'A participant added in the middle of a token stream gets the partial message from history, then the live chunks, with no gap and no repeated token.',
    async run(ctx, t) {
      const { sid, owner: alice, agent, carol } = await ctx.cast({ agent: 'agent', carol: 'outsider' });
      const tokens = Array.from({ length: 16 }, (_, i) => `tok${i} `);
      await ctx.ok(agent, sid, 'message.start', { msgId: 'answer', role: 'agent' });
      for (let i = 0; i < 9; i++) await ctx.ok(agent, sid, 'message.delta', { msgId: 'answer', i, text: tokens[i] });
      await ctx.ok(alice, sid, 'participant.add', { principal: carol.principal, role: 'viewer' });
      await ctx.follow(carol, sid);
      const page = await carol.request('history.get', { sid, after: 0 });
      if (page?.type !== 'history.page') t.notTestable(`history.get was refused: ${excerpt(page)}`);
      const pageEvents = page.data?.events ?? [];
      let textSoFar = '';
      let nextI = 0;
      const problems: string[] = [];
      const apply = (e: ObservedEvent) => {
        if (e.type !== 'message.delta' || e.data?.msgId !== 'answer') return;
        if (e.data.i !== nextI) problems.push(`chunk index ${e.data.i} where ${nextI} was next (seq ${e.seq})`);
        textSoFar += e.data.text;
        nextI = Number(e.data.i) + (e.data.n ?? 1);
      };
      const started = pageEvents.some((e) => e.type === 'message.started' && e.data?.msgId === 'answer');
      t.expect(
        'HIST-COMPACT-2',
        started,
        'the page of a late joiner holds the message.started of the open stream',
        seen(carol.replyTo, page),
      );
      for (const e of pageEvents) apply(e);
      t.equal(
        'HIST-COMPACT-2',
        textSoFar,
        tokens.slice(0, 9).join(''),
        'the page gives the partial message so far (every chunk of the open stream)',
        seen(carol.replyTo, page),
      );
      let lastSeq = page.data?.to as number;
      for (let i = 9; i < tokens.length; i++) await ctx.ok(agent, sid, 'message.delta', { msgId: 'answer', i, text: tokens[i] });
      const done = await ctx.ok(agent, sid, 'message.complete', { msgId: 'answer' });
      await ctx.waitSeq(carol, sid, done);
      for (const e of carol.events(sid).sort((x, y) => Number(x.seq) - Number(y.seq))) {
        if (Number(e.seq) <= lastSeq) continue;
        if (e.seq !== lastSeq + 1) problems.push(`gap: seq ${e.seq} after ${lastSeq}`);
        lastSeq = e.seq as number;
        apply(e);
      }
      t.expect('HIST-PAGE-1', problems.length === 0, 'history then live events continue with no gap and no repeated chunk', {
        payload: excerpt(problems),
      });
      t.equal('HIST-COMPACT-2', textSoFar, tokens.join(''), 'the late joiner assembles the whole message, each token once', {
        payload: excerpt(textSoFar),
      });
    },
  },
  {
    id: 'host.history.expired-cursor',
    profile: 'host',
    covers: ['HIST-RESET-1', 'HIST-RESET-2', 'HOST-RETAIN-1', 'HOST-RETAIN-2', 'HOST-RETAIN-3', 'HOST-RETAIN-4'],
    description:
      'With a retention limit, a cursor older than the kept events gets a reset (the state at atSeq) and the events from atSeq + 1; open streams are kept ' +
      'from their start.',
    timeoutMs: 30000,
    async run(ctx, t) {
      const keep = Number(ctx.limits.retentionEvents ?? 0);
      if (keep === 0) t.skip('the host advertises retentionEvents 0 (it keeps every event), so no cursor can expire');
      if (keep > 2000) t.notTestable(`retentionEvents ${keep} is too large to exceed within a check (at most 2000)`);
      const { sid, owner: alice, agent } = await ctx.cast({ agent: 'agent' }, { follow: true });
      const [a, bot] = [alice.principal, agent.principal];
      await ctx.ok(agent, sid, 'run.start', { runId: 'r1' });
      const total = keep * 3 + 10;
      const fill = async (target: string) => {
        for (let chunk = 0; chunk < total; chunk += 100) {
          const n = Math.min(100, total - chunk);
          await t.need(`${n} messages`, () =>
            Promise.all(Array.from({ length: n }, (_, i) => alice.command(target, 'message.send', text(`m${chunk + i}`)))),
          );
        }
      };
      await fill(sid);
      const head = await ctx.ok(alice, sid, 'message.send', text('last'));
      await ctx.waitSeq(alice, sid, head);
      const live = alice.events(sid);
      const page = await alice.request('history.get', { sid, after: 0, compact: false });
      const reset = page?.data?.reset;
      if (!reset) {
        const complete = page?.data?.events?.[0]?.seq === 1;
        t.expect('HIST-RESET-2', complete, 'no reset was needed', seen(alice.replyTo, page));
        t.expect(
          'HIST-RESET-1',
          complete,
          'without a reset, the page starts at seq 1 (every event is still stored)',
          seen(alice.replyTo, page),
        );
        t.expect('HOST-RETAIN-2', complete, 'the host kept every event', seen(alice.replyTo, page));
        t.expect('HOST-RETAIN-1', complete, 'nothing was discarded, so no state at a floor is needed', seen(alice.replyTo, page));
        t.note('the host kept every event although it advertises retention; the reset path was not exercised');
      } else {
        const at = reset.atSeq as number;
        const d = page.data!;
        const events = d.events ?? [];
        t.expect(
          'HIST-RESET-1',
          d.from === at && (events[0]?.seq ?? at + 1) === at + 1 && reset.state?.headSeq === at && reset.state?.sid === sid,
          'the page carries reset {atSeq, state at atSeq}, from = atSeq and events from atSeq + 1',
          seen(alice.replyTo, { ...d, events: events.slice(0, 2) }),
        );
        const known = live.filter((e) => Number(e.seq) <= at);
        const startOfKnown = known[0]?.seq ?? Infinity;
        if (startOfKnown <= 2) {
          const created: ObservedEvent = {
            seq: 1,
            type: 'session.created',
            sender: a,
            data: {
              participants: [
                { principal: a, role: 'owner' },
                { principal: bot, role: 'agent' },
              ],
              title: 'conformance',
            },
          };
          const diff = stateDiff(reset.state ?? {}, modelOf(sid, [created, ...known]));
          t.expect(
            'HOST-RETAIN-1',
            diff.length === 0,
            'reset.state is the session exactly as it was at atSeq (the host kept the state at its floor)',
            { payload: excerpt(diff) },
          );
        }
        if (startOfKnown > 2)
          t.expect('HOST-RETAIN-1', reset.state?.headSeq === at, 'reset.state is a state at atSeq', seen(alice.replyTo, reset));
        const below = await alice.request('history.get', { sid, after: 0, to: Math.max(1, at - 1), compact: false });
        const bd = below?.data;
        t.expect(
          'HIST-RESET-2',
          bd?.reset?.atSeq === at && bd.events?.length === 0 && bd.to === at && bd.more === false,
          'a cursor before the floor with a bound below atSeq gets a reset page with no events, to = atSeq and more false',
          seen(alice.replyTo, { ...bd, reset: bd?.reset ? { atSeq: bd.reset.atSeq } : undefined }),
        );
        t.expect(
          'HOST-RETAIN-2',
          head - at >= keep,
          `at least retentionEvents (${keep}) events are kept (head ${head}, atSeq ${at})`,
          seen(alice.replyTo, { from: d.from, to: d.to, headSeq: d.headSeq }),
        );
      }
      // Second session: a stream opened early must survive retention from its start.
      const sid2 = await ctx.session(alice, [{ principal: bot, role: 'agent' }]);
      const inputSeq = await ctx.ok(agent, sid2, 'input.request', {
        requestId: 'open-q',
        prompt: 'still there?',
        answerSchema: { type: 'boolean' },
      });
      const startedSeq = await ctx.ok(agent, sid2, 'message.start', { msgId: 'long', role: 'agent' });
      await ctx.ok(agent, sid2, 'message.delta', { msgId: 'long', i: 0, text: 'first chunk ' });
      await fill(sid2);
      await ctx.ok(alice, sid2, 'message.send', text('last'));
      const p2 = await alice.request('history.get', { sid: sid2, after: 0, compact: false, limit: 5 });
      const at2 = p2?.data?.reset ? (p2.data.reset.atSeq as number) : 0;
      const seqs2 = (p2?.data?.events ?? []).map((e) => e.seq);
      const evidence = seen(alice.replyTo, { reset: p2?.data?.reset ? { atSeq: at2 } : undefined, seqs: seqs2 });
      t.expect(
        'HOST-RETAIN-4',
        at2 < inputSeq && seqs2.includes(inputSeq),
        `events from the open input request (seq ${inputSeq}) are still stored`,
        evidence,
      );
      t.expect(
        'HOST-RETAIN-3',
        at2 < startedSeq && seqs2.includes(startedSeq),
        `events from the open stream's start (seq ${startedSeq}) are still stored`,
        evidence,
      );
    },
  },
]);
