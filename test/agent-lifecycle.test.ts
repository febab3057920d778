import t from 'tap';
import { TetherClient } from '../clients/lib/node.ts';
import type { AgentState } from '../schemas/src/index.ts';
import { agentScene, watch } from './fixtures/agent-scene.ts';
import { lastUserText } from './fixtures/llm-server.ts';

/** Resolves with the first agent state (seen or to come) that matches. */
async function agentState(client: TetherClient, agentId: string, pred: (s: AgentState) => boolean, ms = 15_000): Promise<AgentState> {
  const board = await client.watchAgents();
  const now = board.get(agentId);
  if (now && pred(now)) return now;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => (off(), reject(new Error(`${agentId} never reached the state; last: ${JSON.stringify(board.get(agentId))}`))),
      ms,
    );
    const off = board.on('change', (key, value) => {
      if (key === agentId && value && pred(value)) {
        clearTimeout(timer);
        off();
        resolve(value);
      }
    });
  });
}

t.test('a person sees the agent card online, labelled with its model', async (t) => {
  const scene = await agentScene(t);
  await scene.startAgent('carded');
  const state = await agentState(scene.alice, 'carded', (s) => s.status === 'online');
  t.equal(state.card.name, 'Tether reference agent');
  t.match(state.card.description, /test-model/);
  t.same(state.card.capabilities, { streaming: true, inputRequests: true, steering: true, cancel: true });
});

t.test('a scheduled task reaches a person through the session index and the notify topic', async (t) => {
  const scene = await agentScene(t);
  const bob = await TetherClient.connect({ url: scene.tether.mqttUrl, principal: 'bob' });
  t.teardown(() => bob.close());
  const notes: { k: string; sid: string }[] = [];
  bob.on('notification', (n) => notes.push(n));
  await bob.watchNotifications();
  const index = await bob.watchSessions();
  const seen = new Promise<string>((resolve) => index.on('added', (entry) => resolve(entry.sid)));
  await scene.startAgent('planner', ['--schedule', '*/2 * * * * *', '--task', 'Summarise the night', '--participants', 'bob']);
  const sid = await Promise.race([seen, new Promise<string>((_, r) => setTimeout(() => r(new Error('no index entry')), 20_000))]);
  const entry = index.get(sid)!;
  t.equal(entry.createdBy, 'planner', 'bob learns of the session the agent started');
  t.equal(entry.role, 'member');
  const s = await watch(bob, sid);
  const done = await s.next((e) => e.type === 'run.finished', 20_000);
  t.equal(done.data.status, 'completed');
  const until = Date.now() + 5000;
  while (!notes.some((n) => n.sid === sid && n.k === 'result') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.ok(
    notes.some((n) => n.sid === sid && n.k === 'session'),
    'a session notification reached bob',
  );
  t.ok(
    notes.some((n) => n.sid === sid && n.k === 'result'),
    'and the result notification',
  );
});

t.test('an endpoint that fails makes the agent degraded; runs wait and continue when it recovers', async (t) => {
  const scene = await agentScene(t);
  scene.llm.down = true;
  await scene.startAgent('flaky');
  const degraded = await agentState(scene.alice, 'flaky', (s) => s.status === 'degraded');
  t.match(degraded.reason, /503/, 'the status says why');
  const s = await scene.session('flaky');
  await s.session.send('are you there?');
  await new Promise((r) => setTimeout(r, 800));
  t.equal(s.of('run.started').length, 0, 'no run starts while the endpoint is down');
  t.equal(scene.llm.requests.length, 0, 'and no completion is attempted');
  scene.llm.down = false;
  const done = await s.next((e) => e.type === 'run.finished', 45_000);
  t.equal(done.data.status, 'completed', 'the waiting work runs once the endpoint answers');
  await agentState(scene.alice, 'flaky', (x) => x.status === 'online');
});

t.test('after kill -9 with an open run, the restarted agent ends it failed and answers the pending message', async (t) => {
  const scene = await agentScene(t);
  scene.llm.respond = (body) =>
    /^LONG/.test(lastUserText(body)) && scene.llm.requests.length === 1
      ? { chunks: Array.from({ length: 500 }, (_, i) => `t${i} `), delayMs: 20 }
      : { chunks: ['answer after restart'] };
  const first = await scene.startAgent('crashy');
  const s = await scene.session('crashy');
  await s.session.send('LONG work');
  const started = await s.next((e) => e.type === 'run.started');
  await s.next((e) => e.type === 'message.delta');
  await first.kill9();
  await scene.startAgent('crashy');
  const failed = await s.next((e) => e.type === 'run.finished' && e.data.runId === started.data.runId, 20_000);
  t.equal(failed.data.status, 'failed', 'the open run is ended failed');
  t.match(String(failed.data.error), /restarted/, 'with the reason');
  const stream = s.of('message.completed')[0];
  t.equal(stream?.data.status, 'failed', 'the half-written stream is completed failed');
  const again = await s.next((e) => e.type === 'run.finished' && e.data.runId !== started.data.runId, 20_000);
  t.equal(again.data.status, 'completed', 'the unacknowledged inbox item is answered by a new run');
  t.equal(s.of('run.started').length - s.of('run.finished').length, 0, 'no run stays open');
});

t.test('one agent serves 100 sessions at once within its bound of model calls; a slow call delays no other', async (t) => {
  const scene = await agentScene(t);
  scene.llm.respond = (body) =>
    lastUserText(body).startsWith('SLOW') ? { chunks: ['slow ', 'answer'], delayMs: 4000 } : { chunks: ['a', 'b', 'c'], delayMs: 20 };
  await scene.startAgent('many', ['--max-model-calls', '8']);
  const slow = await scene.session('many');
  await slow.session.send('SLOW please');
  await scene.llm.nthRequest(1);
  const sessions = await Promise.all(Array.from({ length: 99 }, () => scene.session('many')));
  await Promise.all(sessions.map((s, i) => s.session.send(`quick ${i}`)));
  const finished = await Promise.all(sessions.map((s) => s.next((e) => e.type === 'run.finished', 60_000)));
  t.ok(
    finished.every((e) => e.data.status === 'completed'),
    '99 sessions answered',
  );
  t.equal(slow.of('run.finished').length, 0, 'all of them before the slow call in the first session ended');
  const slowDone = await slow.next((e) => e.type === 'run.finished', 20_000);
  t.equal(slowDone.data.status, 'completed');
  t.ok(scene.llm.maxInFlight <= 8, `at most 8 model calls at once (saw ${scene.llm.maxInFlight})`);
  t.ok(scene.llm.maxInFlight >= 2, 'and more than one at a time');
});
