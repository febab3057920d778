import t from 'tap';
import { runCli } from './fixtures/cli-process.ts';
import { client } from './fixtures/cli-scene.ts';
import { startTestTether } from './helpers.ts';

t.test('tether send appends a user message, from arguments or stdin; tether reply one from the agent', async (t) => {
  const tether = await startTestTether(t);
  const url = tether.mqttUrl;
  const alice = await client(t, url, 'alice');
  const sid = await alice.createSession({ participants: [{ principal: 'bot', role: 'agent' }] });
  const sent = await runCli(t, url, 'alice', ['send', sid, 'hello', 'there', '--json']);
  t.equal(sent.code, 0);
  t.match(JSON.parse(sent.stdout), { sid, seq: 2, msgId: String, duplicate: false });
  const piped = await runCli(t, url, 'alice', ['send', sid], { input: 'line one\nline two\n' });
  t.equal(piped.code, 0);
  t.match(piped.stderr, `sent to ${sid} at seq 3`);
  const replied = await runCli(t, url, 'alice', ['reply', sid, '--agent', 'bot', 'on it']);
  t.equal(replied.code, 0);

  const events = (await alice.history(sid, { after: 1 })).events;
  t.match(events, [
    { seq: 2, type: 'message', sender: 'alice', data: { role: 'user', parts: [{ kind: 'text', text: 'hello there' }] } },
    { seq: 3, type: 'message', sender: 'alice', data: { role: 'user', parts: [{ kind: 'text', text: 'line one\nline two' }] } },
    { seq: 4, type: 'message', sender: 'bot', data: { role: 'agent', parts: [{ kind: 'text', text: 'on it' }] } },
  ]);
});
