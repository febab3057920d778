import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../clients/cli/exit-codes.ts';
import { runCli } from './fixtures/cli-process.ts';
import { client } from './fixtures/cli-scene.ts';
import { freePort, startTestTether, tempDir } from './helpers.ts';

t.test('each kind of failure has its own exit code and a clear message', async (t) => {
  const tether = await startTestTether(t);
  const url = tether.mqttUrl;
  const alice = await client(t, url, 'alice');
  const sid = await alice.createSession({ title: 'exit codes' });
  const closed = await alice.createSession({ title: 'closed' });
  await (await alice.join(closed)).closeSession();
  const nowhere = `mqtt://127.0.0.1:${await freePort()}`;

  const [flag, missing, badUrl, unreachable, unknown, stranger, refused, unknownItem] = await Promise.all([
    runCli(t, url, 'alice', ['sessions', '--colour']),
    runCli(t, url, 'alice', ['send']),
    runCli(t, 'http://example.com', 'alice', ['sessions']),
    runCli(t, nowhere, 'alice', ['sessions', '--connect-timeout', '0.5']),
    runCli(t, url, 'alice', ['chat', 's-does-not-exist']),
    runCli(t, url, 'carol', ['chat', sid, '--json']),
    runCli(t, url, 'alice', ['send', closed, 'too late']),
    runCli(t, url, 'bot', ['ack', 'it-never']),
  ]);
  t.equal(flag.code, EXIT.USAGE, 'an unknown flag: exit 2');
  t.match(flag.stderr, /tether sessions: Unknown option '--colour'[\s\S]*tether sessions --help/);
  t.equal(missing.code, EXIT.USAGE, 'a missing argument: exit 2');
  t.match(missing.stderr, /missing argument: tether send SID/);
  t.equal(badUrl.code, EXIT.USAGE, 'a URL that is not MQTT: exit 2');
  t.equal(unreachable.code, EXIT.CANNOT_CONNECT, 'nothing listening: exit 3');
  t.match(unreachable.stderr, /cannot reach the broker at mqtt:\/\/127\.0\.0\.1:\d+ within 0\.5 s/);
  t.equal(unknown.code, EXIT.NOT_FOUND, 'an unknown session: exit 5');
  t.match(unknown.stderr, /SESSION_NOT_FOUND/);
  t.equal(stranger.code, EXIT.NOT_FOUND, 'not a participant: exit 5');
  t.match(JSON.parse(stranger.stderr), { error: { exit: 5, code: 'NOT_PARTICIPANT' } });
  t.equal(refused.code, EXIT.REFUSED, 'refused by the host: exit 7');
  t.match(refused.stderr, /SESSION_CLOSED/, 'with the wire error code');
  t.equal(unknownItem.code, EXIT.NOT_FOUND, 'an inbox item the agent never had: exit 5');
});

t.test('a broker with a users file: the right password connects, a wrong one is exit 4', async (t) => {
  const line = await runCli(t, 'mqtt://unused', 'alice', ['passwd', 'alice'], { env: { TETHER_PASSWORD: 'correct horse' } });
  t.equal(line.code, 0);
  const users = join(tempDir(t), 'users.txt');
  writeFileSync(users, line.stdout);
  const tether = await startTestTether(t, { auth: { usersFile: users } });
  const [wrong, none, right] = await Promise.all([
    runCli(t, tether.mqttUrl, 'alice', ['sessions', '--password', 'battery staple']),
    runCli(t, tether.mqttUrl, 'alice', ['sessions']),
    runCli(t, tether.mqttUrl, 'alice', ['sessions', '--json'], { env: { TETHER_PASSWORD: 'correct horse' } }),
  ]);
  t.equal(wrong.code, EXIT.AUTH_REFUSED, 'a wrong password: exit 4');
  t.match(wrong.stderr, /the broker at mqtt:\S+ refused alice: (bad user name or password|not authorised)/);
  t.equal(none.code, EXIT.AUTH_REFUSED, 'no password: exit 4');
  t.equal(right.code, EXIT.OK, 'TETHER_PASSWORD is the password');
  t.same(JSON.parse(right.stdout), { sessions: [] });
});
