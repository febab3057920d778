import t from 'tap';
import { TailCache } from '../host/publish/tail-cache.ts';
import { createSession, peer, startTestTether, tempDir } from './helpers.ts';

type D = Record<string, any>;

t.test('TailCache keeps a contiguous, bounded tail per session', async (t) => {
  const c = new TailCache({ maxEventsPerSession: 5, maxBytes: 1000 });
  for (let seq = 1; seq <= 8; seq++) c.append('a', seq, `{"seq":${seq}}`);
  t.same(c.read('a', 3, 8, 100), ['{"seq":4}', '{"seq":5}', '{"seq":6}', '{"seq":7}', '{"seq":8}'], 'the last 5 events');
  t.equal(c.read('a', 2, 8, 100), undefined, 'seq 3 was trimmed: not served');
  t.same(c.read('a', 5, 8, 2), ['{"seq":6}', '{"seq":7}'], 'limit');
  t.same(c.read('a', 5, 6, 100), ['{"seq":6}'], 'to');
  t.equal(c.read('a', 5, 9, 100), undefined, 'beyond the tail: not served');
  t.same(c.read('a', 8, 8, 100), [], 'nothing after the head');
  c.append('a', 10, '{"seq":10}');
  t.equal(c.read('a', 7, 8, 100), undefined, 'a seq that skips one starts the tail again');
  t.same(c.read('a', 9, 10, 100), ['{"seq":10}']);
  t.equal(c.read('b', 0, 1, 1), undefined, 'unknown session');
  // Byte bound: the least recently appended session goes first.
  const small = new TailCache({ maxEventsPerSession: 100, maxBytes: 100 });
  for (let seq = 1; seq <= 4; seq++) small.append('old', seq, 'x'.repeat(10));
  for (let seq = 1; seq <= 7; seq++) small.append('new', seq, 'y'.repeat(10));
  t.equal(small.read('old', 0, 4, 10), undefined, 'the older session was dropped to stay within the bytes');
  t.equal(small.read('new', 0, 7, 10)?.length, 7);
  t.ok(small.size <= 100, `within the byte bound (${small.size})`);
  for (let seq = 8; seq <= 20; seq++) small.append('new', seq, 'y'.repeat(10));
  t.ok(small.size <= 100, 'a single session is trimmed to the byte bound too');
  t.same(small.read('new', 19, 20, 10), ['y'.repeat(10)]);
});

t.test('history pages from the in-memory tail equal the pages read from the store', async (t) => {
  const dataDir = tempDir(t);
  // A small maxMessageBytes so that some pages are cut by bytes, not by count.
  const limits = { maxMessageBytes: 64 * 1024, commandsPerSecond: 100_000 };
  const first = await startTestTether(t, { dataDir, limits });
  const alice = await peer(t, first.mqttUrl, 'alice');
  const sid = await createSession(alice);
  const sends = Array.from({ length: 1200 }, (_, i) =>
    alice.command(sid, 'message.send', {
      msgId: `m${i}`,
      role: 'user',
      parts: [{ kind: 'text', text: `${'é'.repeat(i % 90)} message ${i}` }],
    }),
  );
  const acks = await Promise.all(sends);
  t.ok(
    acks.every((a) => a.type === 'ack'),
    '1,200 messages accepted',
  );
  const queries: D[] = [
    { sid, after: 0, compact: false },
    { sid, after: 0, limit: 300, compact: false },
    { sid, after: 450, to: 900, limit: 1000, compact: false },
    { sid, after: 1190, compact: false },
    { sid, after: 1201, compact: false },
    { sid, after: 0, limit: 500 },
  ];
  const pages = async (p: typeof alice) => {
    const out: D[] = [];
    for (const q of queries) {
      const r = await p.request('history.get', q);
      t.equal(r.type, 'history.page', `history.get ${JSON.stringify(q)}`);
      out.push(r.data);
    }
    return out;
  };
  const tail = (first.host as unknown as { tail: TailCache }).tail;
  t.equal(tail.read(sid, 0, 1201, 2000)?.length, 1201, 'the first host holds the whole log in its tail');
  const fromTail = await pages(alice);
  t.ok(fromTail[0].events.length < 1000 && fromTail[0].more, `the first page was cut by bytes (${fromTail[0].events.length} events)`);
  await alice.close();
  await first.close();
  // A new host on the same data: its tail is empty, every page comes from the store.
  const second = await startTestTether(t, { dataDir, limits });
  const again = await peer(t, second.mqttUrl, 'alice');
  const fromStore = await pages(again);
  t.same(fromTail, fromStore, 'every page is identical');
});
