import t from 'tap';
import { join } from 'node:path';
import { mosquittoAcl } from '../broker/acl-mosquitto.ts';
import { SessionHost } from '../broker/host/host.ts';
import { SqliteStore } from '../broker/store/sqlite.ts';
import { peer, quietLogger, startMosquitto, tempDir } from './helpers.ts';

t.test('the same host runs on Mosquitto with the generated ACL file', async (t) => {
  const store = new SqliteStore(join(tempDir(t), 'tether.db'), { synchronous: 'NORMAL' });
  t.teardown(() => store.close());
  const users = { 'tether-host': 'host-pw', alice: 'alice-pw', bob: 'bob-pw', eve: 'eve-pw' };
  const mosquitto = await startMosquitto(t, users, await mosquittoAcl(store, { hostUsername: 'tether-host' }));
  const host = new SessionHost({ brokerUrl: mosquitto.url, store, logger: quietLogger(), mqtt: { username: 'tether-host', password: 'host-pw' } });
  await host.start();
  t.teardown(() => host.stop());

  const alice = await peer(t, mosquitto.url, 'alice', { password: 'alice-pw' });
  await alice.subscribe('tether/v1/host/+/state');
  const birth = await alice.waitFor((m) => m.topic === 'tether/v1/host/main/state', 'host birth via Mosquitto');
  t.match(birth.json, { status: 'online', epoch: 1 });
  t.equal(birth.retain, true, 'the birth is retained');

  const sid = 's-mosq';
  t.equal((await alice.command(sid, 'session.create', { title: 'on mosquitto', participants: [{ principal: 'bob', role: 'member' }] })).type, 'ack');
  await mosquitto.reloadAcl(await mosquittoAcl(store, { hostUsername: 'tether-host' }));

  const bob = await peer(t, mosquitto.url, 'bob', { password: 'bob-pw' });
  t.equal(await bob.subscribe(`tether/v1/sessions/${sid}/events`), 1, 'a participant may subscribe to the session');
  await bob.subscribe('tether/v1/users/bob/sessions/+');
  const entry = await bob.waitFor((m) => m.topic === `tether/v1/users/bob/sessions/${sid}`, 'index entry');
  t.match(entry.json, { sid, role: 'member', title: 'on mosquitto' });
  const ack = await alice.command(sid, 'message.send', { msgId: 'm1', role: 'user', parts: [{ kind: 'text', text: 'hello over mosquitto' }] });
  const event = await bob.waitForEvent(sid, (e) => e.seq === ack.data.seq);
  t.match(event, { type: 'message', sender: 'alice', data: { msgId: 'm1' } });

  const eve = await peer(t, mosquitto.url, 'eve', { password: 'eve-pw' });
  // Mosquitto 2.0 grants every SUBSCRIBE and applies the read ACL at delivery: check what arrives.
  await eve.subscribe(`tether/v1/sessions/${sid}/events`);
  await eve.subscribe('tether/v1/replies/alice/#');
  const secret = await alice.command(sid, 'message.send', { msgId: 'm2', role: 'user', parts: [{ kind: 'text', text: 'not for eve' }] });
  await bob.waitForEvent(sid, (e) => e.seq === secret.data.seq);
  // The host publishes that event before eve's reply below, and Mosquitto keeps one publisher's order.
  t.equal((await eve.request('sessions.list', {})).type, 'sessions.page');
  t.same(eve.events(sid), [], 'a non-participant receives no session events');
  t.notOk(eve.log.some((m) => m.topic.startsWith('tether/v1/replies/alice/')), "nor another principal's replies");
  // Mosquitto drops (but acknowledges) publishes the ACL denies: a forged command never reaches the host.
  await eve.publish(`tether/v1/sessions/${sid}/submit/alice`, { v: 1, id: 'forged', type: 'session.close', replyTo: eve.replyTo, data: {} });
  // eve's next publish travels the same path after the forged one, so the host has seen both by its reply.
  await eve.request('sessions.list', {});
  const page = await alice.request('history.get', { sid });
  t.equal(page.data.headSeq, secret.data.seq, 'the forged command was not appended');
});
