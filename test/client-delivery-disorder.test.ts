import t, { type Test } from 'tap';
import type { EventEnvelope, SessionState } from '../schemas/src/index.ts';
import { MqttTransport, SessionFeed, TetherClient, type FeedItem, type HistoryPage, type HistoryQuery } from '../clients/lib/node.ts';
import { ChaosTransport, seededRandom, startTestTether } from './helpers.ts';

const DELTAS = 1200;

t.test('duplicated, reordered and lost live deliveries still reach the application exactly as the log holds them', async (t) => {
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 1_000_000 } });
  let chaos!: ChaosTransport;
  const alice = await TetherClient.connect({
    url: tether.mqttUrl,
    principal: 'alice',
    transport: (o) =>
      (chaos = new ChaosTransport(new MqttTransport(o), seededRandom(Number(process.env.TETHER_TEST_SEED ?? 99)), {
        duplicate: 0.2,
        reorder: 0.2,
        drop: 0.05,
      })),
  });
  const bot = await TetherClient.connect({ url: tether.mqttUrl, principal: 'bot' });
  t.teardown(() => Promise.all([alice.close(), bot.close()]));
  const sid = await alice.createSession({ participants: [{ principal: 'bot', role: 'agent' }] });
  const reader = await alice.join(sid, { compact: false, gapWaitMs: 100 });
  const agentSide = await bot.join(sid);

  const seen: EventEnvelope[] = [];
  const reading = (async () => {
    for await (const item of reader) {
      if (item.kind === 'event') seen.push(item.event);
      if (item.kind === 'event' && item.event.type === 'message.completed') return;
    }
  })();
  const writer = agentSide.stream({ msgId: 'answer', windowMs: 0, maxUnacked: 16 });
  for (let i = 0; i < DELTAS; i++) await writer.write(`t${i} `);
  const completed = await writer.complete();
  await reading;

  const log = await tether.store.readEvents(sid, 0, completed.seq, Number.MAX_SAFE_INTEGER);
  t.same(seen, log, 'the sequence the application saw equals the host log exactly');
  t.ok(chaos.stats.duplicated > 0 && chaos.stats.reordered > 0 && chaos.stats.dropped > 0, 'every kind of disorder was injected');
  t.ok(reader.stats.duplicates >= chaos.stats.duplicated, 'every duplicate was dropped');
  t.ok(reader.stats.rangeRequests > 0, 'lost deliveries were fetched with range requests');
  t.comment(
    `${log.length} events over ${chaos.stats.messages} batches: ${chaos.stats.duplicated} duplicated, ${chaos.stats.reordered} reordered, ` +
      `${chaos.stats.dropped} lost; ${reader.stats.rangeRequests} range requests`,
  );
});

/** A session log in memory and a history function over it, as the host pages it (compact off). */
function fakeLog(n: number) {
  const events: EventEnvelope[] = Array.from({ length: n }, (_, i) => ({
    v: 1,
    sid: 's1',
    seq: i + 1,
    type: i === 0 ? 'session.created' : 'message',
    time: new Date(0).toISOString(),
    sender: 'alice',
    data: { i },
  }));
  const queries: HistoryQuery[] = [];
  let floor = 0;
  const state = { sid: 's1', headSeq: 0 } as SessionState;
  const history = async (q: HistoryQuery): Promise<HistoryPage> => {
    queries.push(q);
    let after = q.after;
    let reset: HistoryPage['reset'];
    if (after < floor) {
      reset = { atSeq: floor, state: { ...state, headSeq: floor } };
      after = floor;
    }
    const head = events.length;
    const bound = Math.min(q.to ?? head, head);
    const page = events.slice(after, bound).slice(0, q.limit);
    const to = page.length === q.limit ? page[page.length - 1].seq : Math.max(after, bound);
    return { sid: 's1', from: after, to, headSeq: head, events: page, more: to < bound, ...(reset ? { reset } : {}) };
  };
  return { events, queries, history, setFloor: (f: number) => (floor = f) };
}

function feedOver(t: Test, log: ReturnType<typeof fakeLog>, opts: { pageLimit?: number; gapWaitMs?: number } = {}) {
  const items: FeedItem[] = [];
  let failed: Error | undefined;
  const feed = new SessionFeed(
    's1',
    { history: (q) => log.history(q), deliver: (i) => items.push(i), advanced: () => {}, failed: (e) => (failed = e), online: () => true },
    { gapWaitMs: opts.gapWaitMs ?? 100, pageLimit: opts.pageLimit ?? 1000 },
  );
  t.teardown(() => feed.stop());
  return { feed, items, failed: () => failed };
}

const seqs = (items: FeedItem[]) => items.map((i) => (i.kind === 'event' ? i.event.seq : i.kind === 'reset' ? -i.atSeq : 0));
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

t.test('live events that arrive shuffled and twice are delivered once each, in seq order', async (t) => {
  const log = fakeLog(60);
  const { feed, items } = feedOver(t, log);
  feed.start(0);
  // The history page covers 1..60 only if asked after they exist; here live events race it.
  const random = seededRandom(5);
  const live = log.events.slice(40).flatMap((e) => (random() < 0.3 ? [e, e] : [e]));
  for (let i = live.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [live[i], live[j]] = [live[j], live[i]];
  }
  for (const e of live) feed.onLive([e]);
  await until(() => items.length >= 60);
  t.same(
    seqs(items),
    log.events.map((e) => e.seq),
    'seqs 1..60, each once',
  );
  t.ok(feed.stats.duplicates > 0, 'duplicates were dropped');
});

t.test('a gap in live events becomes a range request after a short wait', async (t) => {
  const log = fakeLog(30);
  const { feed, items } = feedOver(t, log);
  feed.start(0);
  await until(() => items.length === 30);
  log.events.push(...[31, 32, 33, 34].map((seq) => ({ ...log.events[1], seq })));
  feed.onLive([log.events[32], log.events[33]]); // 33 and 34 arrive; 31 and 32 were lost
  t.equal(items.length, 30, 'nothing after the gap is delivered before it closes');
  await until(() => items.length === 34);
  const range = log.queries[log.queries.length - 1];
  t.match(range, { after: 30, to: 32 }, 'the range request asks exactly for the gap');
  t.same(seqs(items).slice(30), [31, 32, 33, 34]);
});

t.test('a cursor older than retention surfaces a reset, then events continue after it', async (t) => {
  const log = fakeLog(50);
  log.setFloor(40);
  const { feed, items } = feedOver(t, log, { pageLimit: 4 });
  feed.start(5);
  await until(() => items.length === 11);
  t.same(seqs(items), [-40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50], 'reset at 40, then 41..50 over several pages');
  t.equal(feed.lastSeq, 50);
});

t.test('a page that covers seqs without events (compaction) moves lastSeq past them', async (t) => {
  const log = fakeLog(10);
  const items: FeedItem[] = [];
  const compacted = async (q: HistoryQuery): Promise<HistoryPage> => ({
    sid: 's1',
    from: q.after,
    to: 10,
    headSeq: 10,
    events: [log.events[2], log.events[9]],
    more: false,
  });
  const f2 = new SessionFeed('s1', {
    history: compacted,
    deliver: (i) => items.push(i),
    advanced: () => {},
    failed: () => {},
    online: () => true,
  });
  t.teardown(() => f2.stop());
  f2.start(0);
  f2.onLive([log.events[5]]); // seq 6 arrives live while the page is in flight: the page covers it
  await until(() => items.length === 2);
  await new Promise((r) => setTimeout(r, 20));
  t.same(seqs(items), [3, 10], 'only the events the page holds, and no stale live event after them');
  t.equal(f2.lastSeq, 10);
});

t.test('while the connection is down live events are held, and a stale page is never applied', async (t) => {
  const log = fakeLog(20);
  const items: FeedItem[] = [];
  let late: ((page: HistoryPage) => void) | undefined;
  let calls = 0;
  const history = (q: HistoryQuery): Promise<HistoryPage> => {
    calls++;
    // The first request is answered late, after the feed moved on: its page must be ignored.
    if (calls === 1) return new Promise((resolve) => (late = resolve));
    return log.history(q);
  };
  const feed = new SessionFeed(
    's1',
    { history, deliver: (i) => items.push(i), advanced: () => {}, failed: () => {}, online: () => true },
    { gapWaitMs: 100 },
  );
  t.teardown(() => feed.stop());
  feed.start(0);
  feed.hold(); // the connection dropped before the first page came
  feed.onLive([log.events[0], log.events[1]]);
  t.equal(items.length, 0, 'held: nothing delivered before the catch-up [CLIENT-RESUME-9]');
  feed.resync();
  await until(() => items.length === 20);
  late!({ sid: 's1', from: 0, to: 20, headSeq: 20, events: log.events, more: false });
  await new Promise((r) => setTimeout(r, 20));
  t.same(
    seqs(items),
    log.events.map((e) => e.seq),
    'each seq once although a late page arrived',
  );
});

t.test('a host whose head fell below lastSeq (it lost published events) starts a new generation from seq 1', async (t) => {
  const log = fakeLog(10);
  const { feed, items } = feedOver(t, log);
  feed.start(15); // the client saw up to 15, the host now has 10
  await until(() => items.length === 11);
  t.same(items[0], { kind: 'rewind', headSeq: 10 }, 'the application is told first [CLIENT-GAP-3]');
  t.same(
    seqs(items.slice(1)),
    log.events.map((e) => e.seq),
    'then the log again from seq 1',
  );
});
