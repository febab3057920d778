import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, generateKeyPair, exportSPKI } from 'jose';
import mqtt from 'mqtt';
import { hashPassword } from '../broker/auth.ts';
import { startTether } from '../broker/embedded.ts';
import { peer, quietLogger, startTestTether, tempDir } from './helpers.ts';

async function refused(url: string, opts: mqtt.IClientOptions): Promise<string> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, ...opts });
  try {
    return await new Promise<string>((resolve, reject) => {
      client.once('connect', () => reject(new Error('connected but should have been refused')));
      client.once('error', (err) => resolve(err.message));
    });
  } finally {
    client.end(true);
  }
}

t.test('a users file with scrypt hashes: right password in, wrong password and unknown users out', async (t) => {
  const dir = tempDir(t);
  const users = join(dir, 'users.txt');
  writeFileSync(users, `# principals\nalice:${hashPassword('correct horse')}\n`);
  const tether = await startTestTether(t, { auth: { usersFile: users } });
  const alice = await peer(t, tether.mqttUrl, 'alice', { password: 'correct horse' });
  t.equal((await alice.command('s-auth', 'session.create', {})).type, 'ack');
  t.match(await refused(tether.mqttUrl, { username: 'alice', password: 'wrong' }), /Not authorized|Bad username/i);
  t.match(
    await refused(tether.mqttUrl, { username: 'mallory' }),
    /Not authorized|Bad username/i,
    'no anonymous access once auth is configured',
  );
});

t.test('signed tokens: HS256 and EdDSA, subject is the principal', async (t) => {
  const secret = 'a-long-shared-secret-for-tests-only';
  const hs = await startTestTether(t, { auth: { jwtSecret: secret } });
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bob')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
  const bob = await peer(t, hs.mqttUrl, 'bob', { password: token });
  t.equal((await bob.command('s-jwt', 'session.create', {})).type, 'ack');
  t.match(
    await refused(hs.mqttUrl, { username: 'alice', password: token }),
    /Not authorized|Bad username/i,
    'username must match the subject',
  );
  const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bob').sign(new TextEncoder().encode('other'));
  t.match(await refused(hs.mqttUrl, { username: 'bob', password: forged }), /Not authorized|Bad username/i, 'a wrong signature is refused');

  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const ed = await startTestTether(t, { auth: { jwtPublicKey: await exportSPKI(publicKey) } });
  const edToken = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setSubject('carol').sign(privateKey);
  const carol = await peer(t, ed.mqttUrl, 'carol', { password: edToken });
  t.equal((await carol.command('s-ed', 'session.create', {})).type, 'ack');
});

t.test('a non-loopback bind refuses to start without authentication', async (t) => {
  await t.rejects(
    startTether({ bind: '0.0.0.0', mqttPort: 0, httpPort: 0, dataDir: tempDir(t), logger: quietLogger() }),
    /refusing to listen on 0\.0\.0\.0 without authentication/,
  );
});

t.test('healthz and metrics are served on the HTTP port', async (t) => {
  const tether = await startTestTether(t);
  const health = await (await fetch(`${tether.httpUrl}/healthz`)).json();
  t.match(health, { status: 'ok', hostId: 'main', epoch: 1 });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  await alice.command('s-metrics', 'session.create', {});
  const metrics = await (await fetch(`${tether.httpUrl}/metrics`)).text();
  t.match(metrics, /tether_host_events_appended_total 1/);
});

t.test('MQTT over WebSocket at /mqtt reaches the same host', async (t) => {
  const tether = await startTestTether(t);
  t.match(tether.wsUrl, /^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
  const alice = await peer(t, tether.wsUrl, 'alice');
  const ack = await alice.command('s-ws', 'session.create', { title: 'over websocket' });
  t.match(ack, { type: 'ack', data: { sid: 's-ws', seq: 1 } });
  const res = await fetch(`${tether.httpUrl}/nope`);
  t.equal(res.status, 404);
  await res.text();
});

t.test('tokens: audience, expiry with 60 s of skew, and the connection closes when the token expires', async (t) => {
  const secret = 'another-long-shared-secret-for-tests';
  const key = new TextEncoder().encode(secret);
  const tether = await startTestTether(t, { auth: { jwtSecret: secret, jwtAudience: 'tether' } });
  const sign = (claims: Record<string, unknown>, exp: number) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('dana').setExpirationTime(exp).sign(key);
  const now = Math.floor(Date.now() / 1000);
  t.match(
    await refused(tether.mqttUrl, { username: 'dana', password: await sign({}, now + 300) }),
    /Not authorized|Bad username/i,
    'a token without the audience is refused',
  );
  t.match(
    await refused(tether.mqttUrl, { username: 'dana', password: await sign({ aud: 'tether' }, now - 120) }),
    /Not authorized|Bad username/i,
    'an expired token is refused',
  );
  const skewed = await peer(t, tether.mqttUrl, 'dana', { password: await sign({ aud: 'tether' }, now - 58) });
  t.ok(skewed.client.connected, 'a token expired 58 s ago is within the allowed skew of 60 s');
  const closed = new Promise<void>((resolve) => skewed.client.once('close', () => resolve()));
  await closed;
  t.pass('the broker closed the connection of the expired token');
  t.match(await refused(tether.mqttUrl, { username: 'dana', password: 'not a token' }), /Not authorized|Bad username/i);
});

t.test('a client id stays with the principal that used it', async (t) => {
  const tether = await startTestTether(t);
  const first = await peer(t, tether.mqttUrl, 'alice', { clientId: 'shared-device' });
  await first.close();
  t.match(await refused(tether.mqttUrl, { username: 'mallory', clientId: 'shared-device' }), /Not authorized/i);
  const again = await peer(t, tether.mqttUrl, 'alice', { clientId: 'shared-device' });
  t.ok(again.client.connected, 'the same principal may reuse it');
});
