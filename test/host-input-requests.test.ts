import t from 'tap';
import { createSession, peer, startTestTether, tempDir } from './helpers.ts';
import { topics } from '../protocol/topics.ts';

t.test('the first valid answer wins; invalid and later answers get typed errors', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bob = await peer(t, tether.mqttUrl, 'bob');
  const viewer = await peer(t, tether.mqttUrl, 'vic');
  const bot = await peer(t, tether.mqttUrl, 'bot');
  const sid = await createSession(alice, [
    { principal: 'bot', role: 'agent' },
    { principal: 'bob', role: 'approver' },
    { principal: 'vic', role: 'viewer' },
  ]);
  await bob.subscribe(topics.notify('bob'));
  const ask = await bot.command(sid, 'input.request', {
    requestId: 'deploy',
    prompt: 'Deploy to production?',
    answerSchema: { type: 'object', required: ['approve'], properties: { approve: { type: 'boolean' } } },
    risk: 'high',
  });
  t.equal(ask.type, 'ack');
  const note = await bob.waitFor((m) => m.topic === topics.notify('bob'), 'notification');
  t.match(note.json, { k: 'input', sid, seq: ask.data.seq });
  t.ok(note.payload.length <= 256, 'notifications fit 256 bytes');

  t.equal(
    (await viewer.command(sid, 'input.answer', { requestId: 'deploy', value: { approve: true } })).data.code,
    'FORBIDDEN',
    'viewers cannot answer',
  );
  const invalid = await bob.command(sid, 'input.answer', { requestId: 'deploy', value: { approve: 'yes' } });
  t.equal(invalid.data.code, 'ANSWER_INVALID', 'the answer must satisfy answerSchema');
  t.equal(invalid.data.rule, 'HOST-INPUT-7');
  const [first, second] = await Promise.all([
    bob.command(sid, 'input.answer', { requestId: 'deploy', value: { approve: true } }),
    alice.command(sid, 'input.answer', { requestId: 'deploy', value: { approve: false } }),
  ]);
  const winners = [first, second].filter((r) => r.type === 'ack');
  const losers = [first, second].filter((r) => r.type === 'error');
  t.equal(winners.length, 1, 'exactly one answer wins');
  t.equal(losers[0].data.code, 'CONFLICT', 'the other gets CONFLICT');
  const history = await alice.request('history.get', { sid });
  const resolved = history.data.events.filter((e: { type: string }) => e.type === 'input.resolved');
  t.equal(resolved.length, 1, 'one resolution in the log');
  t.match(resolved[0].data, { requestId: 'deploy', outcome: 'answered', decidedBy: 'person', requestSeq: ask.data.seq });
  t.equal((await bob.command(sid, 'input.answer', { requestId: 'nope', value: 1 })).data.code, 'INPUT_NOT_FOUND');
});

t.test('deadlines are enforced by the host, survive a restart, and record who decided', async (t) => {
  const dataDir = tempDir(t);
  const first = await startTestTether(t, { dataDir });
  const alice = await peer(t, first.mqttUrl, 'alice');
  const bot = await peer(t, first.mqttUrl, 'bot');
  const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }]);
  const deadline = new Date(Date.now() + 1500).toISOString();
  await bot.command(sid, 'input.request', {
    requestId: 'q-default',
    prompt: 'Pick a colour',
    deadline,
    onTimeout: { policy: 'default', value: 'blue' },
  });
  await bot.command(sid, 'input.request', { requestId: 'q-fail', prompt: 'Approve?', deadline, onTimeout: { policy: 'fail' } });
  await bot.command(sid, 'input.request', { requestId: 'q-wait', prompt: 'Anything?', deadline, onTimeout: { policy: 'wait' } });
  await alice.close();
  await bot.close();
  await first.close();

  const second = await startTestTether(t, { dataDir });
  const watcher = await peer(t, second.mqttUrl, 'alice');
  await watcher.subscribe(topics.events(sid));
  const before = await watcher.request('history.get', { sid });
  const resolvedBefore = before.data.events.filter((e: { type: string }) => e.type === 'input.resolved').length;
  t.equal(resolvedBefore, 0, 'nothing was decided before the deadline');
  await watcher.waitForEvent(sid, (e) => e.type === 'input.resolved' && e.data.requestId === 'q-default', 'default resolution');
  await watcher.waitForEvent(sid, (e) => e.type === 'input.resolved' && e.data.requestId === 'q-fail', 'fail resolution');
  const byId = Object.fromEntries(
    watcher
      .events(sid)
      .filter((e) => e.type === 'input.resolved')
      .map((e) => [e.data.requestId, e]),
  );
  t.match(byId['q-default'], { sender: '@host', data: { outcome: 'default', value: 'blue', decidedBy: 'timeout', by: '@host' } });
  t.match(byId['q-fail'], { sender: '@host', data: { outcome: 'failed', decidedBy: 'timeout' } });
  t.notOk(byId['q-wait'], 'policy wait leaves the request open');
  const late = await watcher.command(sid, 'input.answer', { requestId: 'q-default', value: 'red' });
  t.equal(late.data.code, 'CONFLICT', 'an answer after the timeout decision conflicts');
  const ok = await watcher.command(sid, 'input.answer', { requestId: 'q-wait', value: 'still open' });
  t.equal(ok.type, 'ack', 'a wait request can still be answered after its deadline');
});
