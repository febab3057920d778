import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../broker/auth.ts';
import { peer, startTestTether, tempDir } from './helpers.ts';

t.test('with a certificate the broker serves mqtts and wss, and the host connects over TLS', async (t) => {
  const dir = tempDir(t);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const users = join(dir, 'users.txt');
  writeFileSync(users, `alice:${hashPassword('pw')}\n`);
  const tether = await startTestTether(t, { tls: { cert, key }, auth: { usersFile: users } });
  t.match(tether.mqttUrl, /^mqtts:\/\//);
  t.match(tether.wsUrl, /^wss:\/\//);
  const ca = readFileSync(cert);
  const overTcp = await peer(t, tether.mqttUrl, 'alice', { password: 'pw', ca });
  t.equal((await overTcp.command('s-tls', 'session.create', {})).type, 'ack', 'mqtts works end to end (the host is connected)');
  const overWs = await peer(t, tether.wsUrl, 'alice', { password: 'pw', ca, clientId: 'alice-wss' });
  t.equal((await overWs.request('history.get', { sid: 's-tls' })).data.headSeq, 1, 'wss works');
});
