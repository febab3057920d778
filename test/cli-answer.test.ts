import t from 'tap';
import { runCli } from './fixtures/cli-process.ts';
import { client } from './fixtures/cli-scene.ts';
import { startTestTether } from './helpers.ts';

t.test('tether answer sends VALUE as JSON when it parses, else as a string; a second answer is refused', async (t) => {
  const tether = await startTestTether(t);
  const url = tether.mqttUrl;
  const alice = await client(t, url, 'alice');
  const bot = await client(t, url, 'bot');
  const sid = await alice.createSession({ participants: [{ principal: 'bot', role: 'agent' }] });
  const session = await bot.join(sid);
  const approve = await session.ask({
    prompt: 'Restart?',
    answerSchema: { type: 'object', properties: { approve: { type: 'boolean' } }, required: ['approve'] },
  });
  const region = await session.ask({ prompt: 'Which region?' });

  const [json, text] = await Promise.all([
    runCli(t, url, 'alice', ['answer', sid, approve.requestId, '{"approve": true}', '--json']),
    runCli(t, url, 'alice', ['answer', sid, region.requestId, 'eu', 'west']),
  ]);
  t.equal(json.code, 0);
  t.match(JSON.parse(json.stdout), { sid, requestId: approve.requestId, value: { approve: true }, seq: Number });
  t.match(await approve.resolution, { outcome: 'answered', value: { approve: true }, by: 'alice' }, 'JSON that parses is sent as JSON');
  t.equal(text.code, 0);
  t.match(await region.resolution, { value: 'eu west' }, 'anything else is a string');

  const [again, unknown] = await Promise.all([
    runCli(t, url, 'alice', ['answer', sid, approve.requestId, '{"approve": false}']),
    runCli(t, url, 'alice', ['answer', sid, 'in-nope', 'true']),
  ]);
  t.equal(again.code, 7, 'refused by the host: exit 7');
  t.match(again.stderr, /CONFLICT/, 'the wire error code is printed');
  t.equal(unknown.code, 5, 'an unknown request id: exit 5');
  t.match(unknown.stderr, /INPUT_NOT_FOUND/);
});
