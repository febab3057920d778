import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';
import { filters, topics } from '../protocol/topics.ts';

t.test('the broker ACL: own submit and request topics only, session topics for participants only', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const eve = await peer(t, tether.mqttUrl, 'eve');
  const sid = await createSession(alice, [{ principal: 'bob', role: 'member' }]);

  t.equal(await eve.subscribe(topics.events(sid)), 128, 'a non-participant cannot subscribe to events');
  t.equal(await eve.subscribe(topics.sessionState(sid)), 128, 'nor to the state');
  t.equal(await eve.subscribe(filters.events()), 128, 'nor to a wildcard over sessions');
  t.equal(await eve.subscribe(topics.notify('alice')), 128, "nor to another principal's notifications");
  t.equal(await eve.subscribe(filters.repliesOf('alice')), 128, "nor to another principal's replies");
  t.equal(await eve.subscribe('tether/#'), 128, 'nor to everything');
  t.equal(await eve.subscribe(filters.user('eve')), 1, 'but to its own user topics');
  t.equal(await eve.subscribe(filters.hostState()), 1, 'and to host births');
  t.equal(await alice.subscribe(topics.events(sid)), 1, 'a participant can subscribe');

  // A publish outside the ACL closes the connection (MQTT 3.1.1 has no negative PUBACK).
  const closed = new Promise<void>((resolve) => eve.client.once('close', () => resolve()));
  eve.client.publish(topics.events(sid), JSON.stringify({ v: 1, sid, events: [] }), { qos: 1 });
  await closed;
  t.pass('publishing on an events topic is refused by disconnecting');

  const forger = await peer(t, tether.mqttUrl, 'eve', { clientId: 'eve-2' });
  const forgedClosed = new Promise<void>((resolve) => forger.client.once('close', () => resolve()));
  forger.client.publish(topics.submit(sid, 'alice'), JSON.stringify({ v: 1, id: 'x', type: 'session.close', data: {} }), { qos: 1 });
  await forgedClosed;
  const check = await alice.request('history.get', { sid });
  t.equal(check.data.headSeq, 1, "a command on another principal's submit topic never reaches the host");
});

t.test('a removed participant stops receiving the session', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bob = await peer(t, tether.mqttUrl, 'bob');
  const sid = await createSession(alice, [{ principal: 'bob', role: 'member' }]);
  await bob.subscribe(topics.events(sid));
  await bob.subscribe(filters.sessionIndex('bob'));
  await alice.command(sid, 'participant.remove', { principal: 'bob' });
  await bob.waitFor((m) => m.topic === topics.sessionIndex('bob', sid) && m.payload.length === 0, 'index entry cleared');
  await alice.command(sid, 'message.send', { msgId: 'secret', role: 'user', parts: [{ kind: 'text', text: 'after bob left' }] });
  await alice.subscribe(topics.events(sid));
  const probe = await alice.command(sid, 'message.send', { msgId: 'probe', role: 'user', parts: [{ kind: 'text', text: 'x' }] });
  await alice.waitForEvent(sid, (e) => e.seq === probe.data.seq);
  // The host published the events before this reply; one broker connection delivers in order,
  // so anything forwarded to bob would be in his log by the time the reply arrives.
  t.equal(
    (await bob.command(sid, 'message.send', { msgId: 'n', role: 'user', parts: [{ kind: 'text', text: 'x' }] })).data.code,
    'NOT_PARTICIPANT',
  );
  t.notOk(
    bob.events(sid).some((e) => e.data.msgId === 'secret'),
    'events after removal are not forwarded',
  );
});

t.test('host-only topics cannot be published by participants', async (t) => {
  const tether = await startTestTether(t);
  for (const topic of [
    topics.hostState('main'),
    topics.notify('alice'),
    topics.result('s1'),
    topics.inbox('bot'),
    topics.replies('alice', 'x'),
  ]) {
    const p = await peer(t, tether.mqttUrl, 'alice', { clientId: `pub-${topic.length}-${topic.split('/')[2]}` });
    const closed = new Promise<void>((resolve) => p.client.once('close', () => resolve()));
    p.client.publish(topic, '{}', { qos: 1 });
    await closed;
    t.pass(`refused: ${topic}`);
  }
});
