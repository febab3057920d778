import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';
import { topics } from '../protocol/topics.ts';

const text = (s: string) => ({ msgId: s, role: 'user', parts: [{ kind: 'text', text: s }] });

t.test('history pages after a seq and over a range, with more and headSeq', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  for (let i = 0; i < 9; i++) await alice.command(sid, 'message.send', text(`m${i}`));
  const p1 = await alice.request('history.get', { sid, after: 0, limit: 4 });
  t.equal(p1.type, 'history.page');
  t.same(
    p1.data.events.map((e: { seq: number }) => e.seq),
    [1, 2, 3, 4],
  );
  t.match(p1.data, { from: 0, to: 4, headSeq: 10, more: true });
  const p2 = await alice.request('history.get', { sid, after: 4, to: 7 });
  t.same(
    p2.data.events.map((e: { seq: number }) => e.seq),
    [5, 6, 7],
  );
  t.match(p2.data, { from: 4, to: 7, more: false });
  const tail = await alice.request('history.get', { sid, after: 10 });
  t.same(tail.data.events, [], 'an up-to-date cursor gets an empty page');
  t.match(tail.data, { from: 10, to: 10, headSeq: 10, more: false });
});

t.test('a late joiner mid-stream gets the partial message, then live deltas, with no gap or repeat', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bot = await peer(t, tether.mqttUrl, 'bot');
  const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }]);
  await bot.command(sid, 'message.start', { msgId: 'answer', role: 'agent' });
  const tokens = Array.from({ length: 40 }, (_, i) => `tok${i} `);
  for (let i = 0; i < 25; i++) await bot.command(sid, 'message.delta', { msgId: 'answer', i, text: tokens[i] });

  const late = await peer(t, tether.mqttUrl, 'alice', { clientId: 'alice-late' });
  await late.subscribe(topics.events(sid));
  const page = await late.request('history.get', { sid, after: 0 });
  const deltas = page.data.events.filter((e: { type: string }) => e.type === 'message.delta');
  t.equal(deltas.length, 1, 'the partial stream arrives merged into one delta');
  t.match(deltas[0].data, { msgId: 'answer', i: 0, n: 25, text: tokens.slice(0, 25).join('') });
  t.equal(page.data.to, 27);

  for (let i = 25; i < 40; i++) await bot.command(sid, 'message.delta', { msgId: 'answer', i, text: tokens[i] });
  await bot.command(sid, 'message.complete', { msgId: 'answer' });
  const done = await late.waitForEvent(sid, (e) => e.type === 'message.completed');
  const live = late.events(sid).filter((e) => e.seq > page.data.to);
  t.same(
    live.map((e) => e.seq),
    Array.from({ length: 16 }, (_, i) => 28 + i),
    'live events continue at to + 1 without a gap',
  );
  const rendered =
    deltas[0].data.text +
    live
      .filter((e) => e.type === 'message.delta')
      .map((e) => e.data.text)
      .join('');
  t.equal(rendered, tokens.join(''), 'partial plus live deltas is the whole text, each token once');
  t.same(done.data.parts, [{ kind: 'text', text: tokens.join('') }], 'the completed message carries the full text');

  const compacted = await late.request('history.get', { sid, after: 0 });
  t.notOk(
    compacted.data.events.some((e: { type: string }) => e.type === 'message.delta' || e.type === 'message.started'),
    'a completed stream is compacted into its message',
  );
  const raw = await late.request('history.get', { sid, after: 0, compact: false });
  t.equal(raw.data.events.length, 43, 'compact: false returns every event');
});

t.test('a cursor older than retention gets a reset with the snapshot, never silence', async (t) => {
  const tether = await startTestTether(t, { limits: { retentionEvents: 10 } });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice, [{ principal: 'bob', role: 'viewer' }], 'retained');
  await alice.command(sid, 'run.start', { runId: 'r1' });
  for (let i = 0; i < 40; i++) await alice.command(sid, 'message.send', text(`m${i}`));
  const page = await alice.request('history.get', { sid, after: 3 });
  t.ok(page.data.reset, 'the page carries a reset');
  const atSeq = page.data.reset.atSeq;
  t.ok(atSeq > 3 && atSeq <= 42 - 10, `snapshot at seq ${atSeq}`);
  t.equal(page.data.reset.state.headSeq, atSeq, 'the snapshot is the state at atSeq');
  t.same(
    page.data.reset.state.openRuns.map((r: { runId: string }) => r.runId),
    ['r1'],
    'the snapshot keeps state from pruned events',
  );
  t.equal(page.data.from, atSeq);
  t.equal(page.data.events[0].seq, atSeq + 1, 'events continue right after the snapshot');
  t.equal(page.data.events.at(-1).seq, 42);
});
