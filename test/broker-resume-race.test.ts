/**
 * Issue 10 item 11: the embedded broker closed a persistent session's connection (clean session 0)
 * when a QoS 1 message was delivered live without a queued copy: a subscription taken while messages
 * flow, or a resume whose queue replay races live acknowledgements (Aedes 1.2's outgoingUpdate throws
 * "no such packet" and the client is closed; broker/persistence.ts). The subscriber here is a plain
 * mqtt.js client: no Tether client code.
 */
import t from 'tap';
import mqtt from 'mqtt';
import { topics } from '../protocol/topics.ts';
import { createSession, peer, startTestTether } from './helpers.ts';

const text = (s: string) => ({ msgId: s, role: 'user', parts: [{ kind: 'text', text: s }] });

t.test('a persistent subscriber that takes its subscription again and again while events flow keeps its connection', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice, [{ principal: 'bob', role: 'member' }]);
  const bob = await mqtt.connectAsync(tether.mqttUrl, { clientId: 'bob-race', username: 'bob', clean: false, reconnectPeriod: 0 });
  t.teardown(() => bob.end(true));
  let closes = 0;
  let onClose = () => {};
  const closed = new Promise<void>((r) => (onClose = r));
  bob.on('close', () => {
    closes++;
    onClose();
  });
  // An operation of a client the broker dropped never completes: stop at the drop instead.
  const unlessClosed = (p: Promise<unknown>) => Promise.race([p, closed]);
  let received = 0;
  bob.on('message', () => void received++);

  let flowing = true;
  let sent = 0;
  const flow = (async () => {
    while (flowing && sent < 5000) {
      await Promise.all(Array.from({ length: 10 }, () => alice.command(sid, 'message.send', text(`m${sent++}`))));
    }
  })();
  for (let i = 0; i < 80 && closes === 0; i++) {
    await unlessClosed(bob.subscribeAsync(topics.events(sid), { qos: 1 }));
    await new Promise((r) => setTimeout(r, 3));
    await unlessClosed(bob.unsubscribeAsync(topics.events(sid)));
  }
  await unlessClosed(bob.subscribeAsync(topics.events(sid), { qos: 1 }));
  flowing = false;
  await flow;
  t.equal(closes, 0, 'the broker never closed the subscriber');
  t.ok(bob.connected, 'the subscriber is still connected');
  t.ok(received > 0, `it received batches (${received}, ${sent} messages sent)`);
});

t.test('a persistent session resumed while its queue replays and live events arrive is not dropped after CONNACK', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice, [{ principal: 'bob', role: 'member' }]);
  const send = (n: number, prefix: string) =>
    Promise.all(Array.from({ length: n }, (_, i) => alice.command(sid, 'message.send', text(`${prefix}${i}`))));
  let dropped = 0;
  for (let round = 0; round < 6 && dropped === 0; round++) {
    const first = await mqtt.connectAsync(tether.mqttUrl, { clientId: 'bob-resume', username: 'bob', clean: false, reconnectPeriod: 0 });
    // Subscribed once; the broker keeps the subscription in the persistent session.
    if (round === 0) await first.subscribeAsync(topics.events(sid), { qos: 1 });
    await first.endAsync(true);
    await send(100, `q${round}-`); // queued while bob is offline
    const live = send(100, `l${round}-`); // and live while bob resumes
    const again = await mqtt.connectAsync(tether.mqttUrl, { clientId: 'bob-resume', username: 'bob', clean: false, reconnectPeriod: 0 });
    const closedSoon = new Promise<boolean>((resolve) => {
      again.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    await live;
    if (await closedSoon) dropped++;
    again.end(true);
  }
  t.equal(dropped, 0, 'no resumed connection was closed by the broker within 300 ms of CONNACK');
});
