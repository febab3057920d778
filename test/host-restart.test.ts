import t from 'tap';
import { createSession, peer, startTestTether, tempDir } from './helpers.ts';
import { filters, topics } from '../protocol/topics.ts';

t.test('a restarted host republishes every retained snapshot from its store', async (t) => {
  const dataDir = tempDir(t);
  const first = await startTestTether(t, { dataDir });
  const alice = await peer(t, first.mqttUrl, 'alice');
  const sid = await createSession(alice, [{ principal: 'bob', role: 'member' }], 'republish me');
  await alice.command(sid, 'run.start', { runId: 'r1' });
  await alice.command(sid, 'run.finish', { runId: 'r1', status: 'completed', summary: 'done: 42' });
  await alice.close();
  await first.close();

  // A fresh Aedes: its in-memory retained store is empty; only the host's republish can fill it.
  const second = await startTestTether(t, { dataDir });
  const bob = await peer(t, second.mqttUrl, 'bob');
  await bob.subscribe(filters.sessionIndex('bob'));
  const entry = await bob.waitFor((m) => m.topic === topics.sessionIndex('bob', sid), 'index entry');
  t.equal(entry.retain, true);
  t.match(entry.json, { sid, role: 'member', status: 'open', title: 'republish me' });
  await bob.subscribe(topics.sessionState(sid));
  const state = await bob.waitFor((m) => m.topic === topics.sessionState(sid), 'session state');
  t.equal(state.json!.headSeq, 3);
  await bob.subscribe(topics.result(sid));
  const result = await bob.waitFor((m) => m.topic === topics.result(sid), 'result');
  t.match(result.json, { sid, seq: 3, status: 'completed', t: 'done: 42' });
  await bob.subscribe(filters.hostState());
  const birth = await bob.waitFor((m) => m.topic === topics.hostState('main'), 'host birth');
  t.match(birth.json, { status: 'online', epoch: 2 }, 'the epoch increased');
  const next = await bob.command(sid, 'message.send', { msgId: 'm', role: 'user', parts: [{ kind: 'text', text: 'hi' }] });
  t.equal(next.data.seq, 4, 'the log continues where it was');
});
