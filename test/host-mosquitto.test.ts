import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { peer, startMosquitto, tempDir } from './helpers.ts';
import { filters, prefixes, topics } from '../protocol/topics.ts';

const tetherBin = join(import.meta.dirname, '..', 'bin', 'tether.ts');

/** `tether acl --mosquitto` as an operator runs it. */
function generateAcl(dataDir: string, out: string): string {
  execFileSync(process.execPath, ['--import', 'tsx', tetherBin, 'acl', '--mosquitto', '--data', dataDir, '--out', out]);
  return readFileSync(out, 'utf8');
}

t.test('the same host runs on Mosquitto with the generated ACL file', async (t) => {
  const dataDir = tempDir(t);
  const aclOut = join(dataDir, 'generated.acl');
  const users = { 'tether-host': 'host-pw', alice: 'alice-pw', bob: 'bob-pw', eve: 'eve-pw' };
  const mosquitto = await startMosquitto(t, users, generateAcl(dataDir, aclOut));
  // `tether host --broker URL`: the same host as the embedded one, against an external broker.
  const host = spawn(
    process.execPath,
    ['--import', 'tsx', tetherBin, 'host', '--broker', mosquitto.url, '--username', 'tether-host', '--data', dataDir, '--sync', 'NORMAL'],
    {
      env: { ...process.env, TETHER_HOST_PASSWORD: 'host-pw', TETHER_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    },
  );
  const hostExited = new Promise<number | null>((r) => host.once('exit', (code) => r(code)));
  t.teardown(async () => {
    if (host.exitCode === null) {
      host.kill('SIGTERM');
      await hostExited;
    }
  });

  const alice = await peer(t, mosquitto.url, 'alice', { password: 'alice-pw' });
  await alice.subscribe(filters.hostState());
  const birth = await alice.waitFor(
    (m) => m.topic === topics.hostState('main') && m.json?.status === 'online',
    'host birth via Mosquitto',
    20_000,
  );
  t.match(birth.json, { status: 'online', epoch: 1 });

  const sid = 's-mosq';
  t.equal(
    (await alice.command(sid, 'session.create', { title: 'on mosquitto', participants: [{ principal: 'bob', role: 'member' }] })).type,
    'ack',
  );
  await mosquitto.reloadAcl(generateAcl(dataDir, aclOut));

  const bob = await peer(t, mosquitto.url, 'bob', { password: 'bob-pw' });
  await bob.subscribe(topics.hostState('main'));
  const retained = await bob.waitFor((m) => m.topic === topics.hostState('main'), 'retained birth');
  t.equal(retained.retain, true, 'a later subscriber gets the birth as a retained message');
  t.equal(await bob.subscribe(topics.events(sid)), 1, 'a participant may subscribe to the session');
  await bob.subscribe(filters.sessionIndex('bob'));
  const entry = await bob.waitFor((m) => m.topic === topics.sessionIndex('bob', sid), 'index entry');
  t.match(entry.json, { sid, role: 'member', title: 'on mosquitto' });
  const ack = await alice.command(sid, 'message.send', {
    msgId: 'm1',
    role: 'user',
    parts: [{ kind: 'text', text: 'hello over mosquitto' }],
  });
  const event = await bob.waitForEvent(sid, (e) => e.seq === ack.data.seq);
  t.match(event, { type: 'message', sender: 'alice', data: { msgId: 'm1' } });

  const eve = await peer(t, mosquitto.url, 'eve', { password: 'eve-pw' });
  // Mosquitto 2.0 grants every SUBSCRIBE and applies the read ACL at delivery: check what arrives.
  await eve.subscribe(topics.events(sid));
  await eve.subscribe(filters.repliesOf('alice'));
  const secret = await alice.command(sid, 'message.send', { msgId: 'm2', role: 'user', parts: [{ kind: 'text', text: 'not for eve' }] });
  await bob.waitForEvent(sid, (e) => e.seq === secret.data.seq);
  // The host publishes that event before eve's reply below, and Mosquitto keeps one publisher's order.
  t.equal((await eve.request('sessions.list', {})).type, 'sessions.page');
  t.same(eve.events(sid), [], 'a non-participant receives no session events');
  t.notOk(
    eve.log.some((m) => m.topic.startsWith(prefixes.replies('alice'))),
    "nor another principal's replies",
  );
  // Mosquitto drops (but acknowledges) publishes the ACL denies: a forged command never reaches the host.
  await eve.publish(topics.submit(sid, 'alice'), { v: 1, id: 'forged', type: 'session.close', replyTo: eve.replyTo, data: {} });
  // eve's next publish travels the same path after the forged one, so the host has seen both by its reply.
  await eve.request('sessions.list', {});
  const page = await alice.request('history.get', { sid });
  t.equal(page.data.headSeq, secret.data.seq, 'the forged command was not appended');

  host.kill('SIGTERM');
  t.equal(await hostExited, 0, 'the host shuts down cleanly on SIGTERM');
  const offline = await alice.waitFor((m) => m.topic === topics.hostState('main') && m.json?.status === 'offline', 'offline state');
  t.equal(offline.json!.epoch, 1);
});
