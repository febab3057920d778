import t from 'tap';
import { join } from 'node:path';
import { createSession, peer, startTestTether, tempDir } from './helpers.ts';
import { SqliteStore } from '../host/store/sqlite.ts';
import type { CommitBatch } from '../host/store/store.ts';
import { topics } from '../protocol/topics.ts';

t.test('each limit gets its typed error reply', async (t) => {
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 5, maxHistoryPage: 50, maxSessionsPerPrincipal: 2 } });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  await createSession(alice);
  const third = await alice.command('s-third', 'session.create', {});
  t.equal(third.data.code, 'LIMIT_EXCEEDED', 'sessions per principal');

  const page = await alice.request('history.get', { sid, limit: 51 });
  t.equal(page.data.code, 'LIMIT_EXCEEDED', 'history page size');
  t.equal(page.data.rule, 'HOST-LIMIT-4');

  // The bucket holds 2 x rate = 10 tokens; 3 were used above. Burst 20 commands without waiting for replies.
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const id = `burst-${i}`;
    ids.push(id);
    await alice.publish(topics.submit(sid, 'alice'), {
      v: 1,
      id,
      type: 'message.send',
      replyTo: alice.replyTo,
      data: { msgId: id, role: 'user', parts: [{ kind: 'text', text: 'x' }] },
    });
  }
  const replies = await Promise.all(ids.map((id) => alice.waitFor((m) => m.json?.re === id, id)));
  const limited = replies.filter((r) => r.json!.data.code === 'RATE_LIMITED');
  t.ok(limited.length >= 10, `commands over the rate are refused (${limited.length} of 20)`);
  t.ok(
    replies.some((r) => r.json!.type === 'ack'),
    'commands within the burst are accepted',
  );
  t.equal(limited[0].json!.data.rule, 'HOST-LIMIT-3');
});

t.test('maxMessageBytes bounds history pages and completed messages; device payloads are cut at code points', async (t) => {
  const tether = await startTestTether(t, { limits: { maxMessageBytes: 70_000 } });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bot = await peer(t, tether.mqttUrl, 'bot');
  const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }]);
  const big = 'x'.repeat(30_000);
  for (let i = 0; i < 5; i++)
    await alice.command(sid, 'message.send', { msgId: `big${i}`, role: 'user', parts: [{ kind: 'text', text: big }] });
  const page = await alice.request('history.get', { sid, after: 0 });
  t.equal(page.data.more, true, 'a page over the byte limit is shortened');
  t.ok(page.data.events.length < 6, `${page.data.events.length} events fit`);
  t.equal(page.data.to, page.data.events.at(-1).seq, 'to is the last event of the shortened page');
  await bot.command(sid, 'message.start', { msgId: 'long', role: 'agent' });
  for (let i = 0; i < 3; i++) await bot.command(sid, 'message.delta', { msgId: 'long', i, text: big });
  const tooBig = await bot.command(sid, 'message.complete', { msgId: 'long' });
  t.match(tooBig.data, { code: 'LIMIT_EXCEEDED', rule: 'HOST-LIMIT-8', details: { limit: 'maxMessageBytes', max: 70_000 } });
  const withParts = await bot.command(sid, 'message.complete', { msgId: 'long', parts: [{ kind: 'text', text: 'summary instead' }] });
  t.equal(withParts.type, 'ack', 'with parts the stream completes');

  await alice.subscribe(topics.notify('alice'));
  await bot.command(sid, 'run.start', { runId: 'r' });
  await bot.command(sid, 'run.finish', { runId: 'r', status: 'completed', summary: '😀'.repeat(80) });
  const note = await alice.waitFor((m) => m.topic === topics.notify('alice'), 'result notification');
  t.ok(note.payload.length <= 256, `${note.payload.length} bytes`);
  t.notOk(/\uFFFD/.test(note.payload.toString('utf8')), 'no broken surrogate pair');
});

t.test('a burst of session.create accepts exactly maxSessionsPerPrincipal, whatever is still being committed', async (t) => {
  const max = 20;
  // A store whose commits take 20 ms, like an fsync on a busy disk: creates keep arriving meanwhile.
  const inner = new SqliteStore(join(tempDir(t), 'tether.db'), { synchronous: 'NORMAL' });
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'commit') return async (batch: CommitBatch) => (await new Promise((r) => setTimeout(r, 20)), target.commit(batch));
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  t.teardown(() => inner.close());
  const tether = await startTestTether(t, { limits: { maxSessionsPerPrincipal: max, commandsPerSecond: 100_000 }, store });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  // Several rounds: each round's creates arrive while the previous round's commit may be in flight.
  const pending = [];
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 10; i++) pending.push(alice.command(`quota-${round}-${i}`, 'session.create', {}));
    await new Promise((r) => setTimeout(r, 2));
  }
  const replies = await Promise.all(pending);
  const acked = replies.filter((r) => r.type === 'ack').length;
  t.equal(acked, max, `exactly ${max} of 60 creates were accepted`);
  t.ok(
    replies.filter((r) => r.type === 'error').every((r) => r.data.code === 'LIMIT_EXCEEDED'),
    'the rest are refused with LIMIT_EXCEEDED',
  );
});
