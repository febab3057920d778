import t from 'tap';
import { jsonLines, runCli } from './fixtures/cli-process.ts';
import { client } from './fixtures/cli-scene.ts';
import { startTestTether } from './helpers.ts';

t.test('tether wait exits 6 when nothing arrives before --timeout, and --timeout 0 checks once', async (t) => {
  const tether = await startTestTether(t);
  const empty = await runCli(t, tether.mqttUrl, 'bot', ['wait', '--timeout', '0']);
  t.equal(empty.code, 6, '--timeout 0 with nothing pending: exit 6 at once');
  t.match(empty.stderr, /no pending items for bot/);
  t.equal(empty.stdout, '', 'nothing on stdout');

  const started = Date.now();
  const later = await runCli(t, tether.mqttUrl, 'bot', ['wait', '--timeout', '0.3', '--json']);
  t.equal(later.code, 6, 'a timeout is exit 6');
  t.ok(Date.now() - started >= 300, 'it waited for the timeout');
  t.match(JSON.parse(later.stderr), { error: { exit: 6, code: 'TIMEOUT' } }, 'with --json the error is a JSON object on stderr');

  const alice = await client(t, tether.mqttUrl, 'alice');
  const sid = await alice.createSession({ title: 'pending work', participants: [{ principal: 'bot', role: 'agent' }] });
  const found = await runCli(t, tether.mqttUrl, 'bot', ['wait', '--timeout', '0', '--json']);
  t.equal(found.code, 0, '--timeout 0 with an item pending: exit 0');
  const [item] = jsonLines(found.stdout);
  t.match(item, {
    sid,
    seq: 1,
    kind: 'session.assigned',
    event: { type: 'session.created', sender: 'alice', text: 'created "pending work" with alice (owner), bot (agent)' },
  });

  const bad = await runCli(t, tether.mqttUrl, 'bot', ['wait', '--timeout', 'soon']);
  t.equal(bad.code, 2, 'a timeout that is not a number is a usage error');
});
