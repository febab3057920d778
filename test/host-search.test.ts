import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { createSession, peer, startTestTether, tempDir } from './helpers.ts';

const text = (msgId: string, s: string) => ({ msgId, role: 'user', parts: [{ kind: 'text', text: s }] });
type Hit = { sid: string; seq: number; type: string; sender: string; time: string; snippet: string; title?: string };

t.test('search finds a word in sent and streamed messages, newest first, with the session title', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bot = await peer(t, tether.mqttUrl, 'bot');
  const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }], 'Incident review');
  await alice.command(sid, 'message.send', text('m1', 'the database migration failed at noon'));
  await alice.command(sid, 'message.send', text('m2', 'nothing to see here'));
  await bot.command(sid, 'message.start', { msgId: 'a1', role: 'agent' });
  await bot.command(sid, 'message.delta', { msgId: 'a1', i: 0, text: 'rolled back the migra' });
  await bot.command(sid, 'message.delta', { msgId: 'a1', i: 1, text: 'tion, all green' });
  await bot.command(sid, 'message.complete', { msgId: 'a1' });

  const r = await alice.request('search', { query: 'migration' });
  t.equal(r.type, 'search.results');
  const hits = r.data.hits as Hit[];
  t.same(
    hits.map((h) => [h.type, h.sender]),
    [
      ['message.completed', 'bot'],
      ['message', 'alice'],
    ],
    'the completed stream and the sent message, newest first; deltas are not hits',
  );
  t.match(hits[1], { sid, seq: 2, title: 'Incident review' });
  t.match(hits[1].snippet, /migration failed/);
  t.notOk(r.data.next, 'no next when the page is not full');
  const prefix = await alice.request('search', { query: 'database migr' });
  t.same(
    (prefix.data.hits as Hit[]).map((h) => h.seq),
    [2],
    'every word must match, the last as a prefix',
  );
  const inSession = await alice.request('search', { query: 'green', sid });
  t.equal(inSession.data.hits.length, 1);
});

t.test('search never shows a session the requester is not in, and refuses a foreign sid', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const mallory = await peer(t, tether.mqttUrl, 'mallory');
  const viewer = await peer(t, tether.mqttUrl, 'vic');
  const secret = await createSession(alice, [{ principal: 'vic', role: 'viewer' }]);
  await alice.command(secret, 'message.send', text('m1', 'the launch code is swordfish'));
  const own = await createSession(mallory);
  await mallory.command(own, 'message.send', text('m1', 'is swordfish anywhere?'));

  const r = await mallory.request('search', { query: 'swordfish' });
  t.same(
    (r.data.hits as Hit[]).map((h) => h.sid),
    [own],
    "only mallory's own session",
  );
  const foreign = await mallory.request('search', { query: 'swordfish', sid: secret });
  t.match(foreign, { type: 'error', data: { code: 'NOT_PARTICIPANT' } });
  const missing = await mallory.request('search', { query: 'swordfish', sid: 'no-such-session' });
  t.match(missing, { type: 'error', data: { code: 'SESSION_NOT_FOUND' } });
  const v = await viewer.request('search', { query: 'swordfish' });
  t.same(
    (v.data.hits as Hit[]).map((h) => h.sid),
    [secret],
    'a viewer searches the sessions it may read',
  );
});

t.test('hostile queries get hits or SCHEMA_INVALID, never INTERNAL', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  await alice.command(sid, 'message.send', text('m1', 'NEAR the café 🎉 a "quoted" word-with-dashes'));
  const hostile = [
    '"',
    '*',
    'NEAR(',
    '-',
    '🎉',
    'a" OR "b',
    'café*',
    'NEAR(a b)',
    '^word',
    'sid:x',
    'AND',
    '(',
    ')',
    "'",
    '\\',
    'ｃａｆｅ',
    'x'.repeat(256),
  ];
  for (const query of hostile) {
    const r = await alice.request('search', { query });
    t.ok(
      r.type === 'search.results' || r.data.code === 'SCHEMA_INVALID',
      `${JSON.stringify(query).slice(0, 40)} -> ${r.type} ${r.data.code ?? ''}`,
    );
  }
  t.match(await alice.request('search', { query: '"' }), { type: 'error', data: { code: 'SCHEMA_INVALID', rule: 'HOST-SEARCH-4' } });
  t.equal((await alice.request('search', { query: 'NEAR(' })).data.hits.length, 1, 'NEAR is a word, not an operator');
  t.equal((await alice.request('search', { query: 'cafe' })).data.hits.length, 1, 'diacritics do not matter');
  t.equal((await alice.request('search', { query: 'with-dash' })).data.hits.length, 1, 'a dash separates words');
  t.match(await alice.request('search', { query: '' }), { type: 'error', data: { code: 'SCHEMA_INVALID' } });
  t.match(await alice.request('search', { query: 'a', before: 'not a cursor' }), { type: 'error', data: { code: 'SCHEMA_INVALID' } });
  t.match(await alice.request('search', { query: 'a', limit: 51 }), { type: 'error', data: { code: 'SCHEMA_INVALID' } });
});

t.test('search pages with next and before until every hit was seen once', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  for (let i = 0; i < 23; i++) await alice.command(sid, 'message.send', text(`m${i}`, `needle number ${i}`));
  const seen: number[] = [];
  let before: string | undefined;
  for (let page = 0; page < 5; page++) {
    const r = await alice.request('search', before ? { query: 'needle', limit: 10, before } : { query: 'needle', limit: 10 });
    seen.push(...(r.data.hits as Hit[]).map((h) => h.seq));
    before = r.data.next;
    if (!before) break;
  }
  t.same(
    seen,
    Array.from({ length: 23 }, (_, i) => 24 - i),
    'newest first, each once',
  );
});

t.test('events removed by retention leave the index; an existing database is indexed when opened', async (t) => {
  const dataDir = tempDir(t);
  const tether = await startTestTether(t, { dataDir, limits: { retentionEvents: 10 } });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  await alice.command(sid, 'message.send', text('old', 'ancient words'));
  for (let i = 0; i < 20; i++) await alice.command(sid, 'message.send', text(`m${i}`, `filler ${i}`));
  await alice.command(sid, 'message.send', text('new', 'recent words'));
  const r = await alice.request('search', { query: 'words' });
  t.same(
    (r.data.hits as Hit[]).map((h) => h.snippet),
    ['recent words'],
    'the pruned message is gone from the index',
  );
  await alice.close();
  await tether.close();

  // A database from before the index: drop it and its marker, then open again.
  const file = join(dataDir, 'tether.db');
  const db = new Database(file);
  db.exec(`DROP TABLE search_text; DELETE FROM meta WHERE key = 'search_text';`);
  db.close();
  const again = await startTestTether(t, { dataDir });
  const alice2 = await peer(t, again.mqttUrl, 'alice', { clientId: 'alice-2' });
  const r2 = await alice2.request('search', { query: 'recent' });
  t.equal(r2.data.hits.length, 1, 'backfilled from the events table');
});
