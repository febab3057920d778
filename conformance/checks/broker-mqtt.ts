/**
 * Broker profile: the MQTT 3.1.1 features Tether needs, and Wills under the ACL [ROLE-BROKER-1, SEC-ACL-5,
 * CONF-MQTT-1]. Without a host no principal takes part in a session, so the check uses the one kind of
 * topic a principal may both publish (its own) and every principal read: agent states.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { defineChecks } from '../core/check.ts';
import { seen } from '../core/evidence.ts';
import { accepted, type BrokerCheckContext } from '../broker/context.ts';
import { filters, topics } from '../../protocol/topics.ts';
import { expectQuiet } from '../kit/waits.ts';

/**
 * A payload on `agentId`'s agent state topic that carries a marker, to tell the copies apart. It is
 * deliberately no AgentState (it has no card): a host behind the broker ignores it, where a valid one
 * would make the principal an agent for that host from then on (no result notifications, inbox items),
 * and the host profile shares the principals of the pool with this one.
 */
function agentState(agentId: string, status: 'online' | 'offline', marker: string) {
  return { v: 1, agentId, status, epoch: 1, time: new Date().toISOString(), marker };
}

export default defineChecks<BrokerCheckContext>([
  {
    id: 'broker.mqtt-features',
    profile: 'broker',
    covers: ['ROLE-BROKER-1', 'SEC-ACL-5', 'CONF-MQTT-1'],
    description:
      'Over MQTT 3.1.1 the broker delivers QoS 0 and 1, keeps retained messages, publishes Wills (within the ACL of their principal) and queues ' +
      'for persistent sessions.',
    async run(ctx, t) {
      const [alice, bob] = await ctx.peers(2);
      const [a, b] = [alice.principal, bob.principal];
      const c = ctx.principals(3)[2];
      const mark = `mqtt-${ctx.suffix}-${randomBytes(3).toString('hex')}`;
      const own = topics.agentState(b);
      const has = (label: string) => (m: { topic: string; payload: Buffer }) =>
        m.topic === own && m.payload.toString().includes(`${mark}-${label}`);
      await ctx.subscribe(alice, filters.agentState());
      await ctx.subscribe(alice, filters.hostState());
      await bob.publish(own, agentState(b, 'online', `${mark}-q0`), { qos: 0 });
      const q0 = await alice.waitFor(has('q0'), 'a QoS 0 publish', 3000).catch(() => undefined);
      t.expect('ROLE-BROKER-1', q0 !== undefined, 'a QoS 0 publish is delivered', { topic: own });
      t.expect('CONF-MQTT-1', q0 !== undefined, 'the broker serves MQTT 3.1.1 connections (protocol level 4) without any MQTT 5 feature', {
        topic: own,
      });
      await bob.publish(own, agentState(b, 'online', `${mark}-q1`), { qos: 1, retain: true });
      const late = await ctx.peer(a);
      await ctx.subscribe(late, own);
      const kept = await late.waitFor(has('q1'), 'the retained agent state', 3000).catch(() => undefined);
      t.expect(
        'ROLE-BROKER-1',
        kept?.json?.status === 'online',
        'a retained QoS 1 message reaches a later subscriber',
        seen(own, kept?.json ?? 'nothing retained'),
      );
      // Wills: one allowed (its own agent state), one the ACL forbids (another principal's agent state and a host state).
      const proxy = await ctx.proxy();
      const pw = ctx.passwordOf(b);
      const forbidden = [topics.agentState(a), topics.hostState(`cf-${ctx.suffix}`)];
      const will = (topic: string, label: string) => ({
        topic,
        payload: Buffer.from(JSON.stringify(agentState(b, 'offline', `${mark}-${label}`))),
        qos: 1 as const,
        retain: true,
      });
      const connect = (name: string, w: ReturnType<typeof will>) =>
        mqtt.connect(proxy.url(ctx.url), {
          ...ctx.target.opts.mqtt,
          clientId: `${b}.${name}${randomBytes(2).toString('hex')}`,
          username: b,
          password: pw,
          reconnectPeriod: 0,
          will: w,
        });
      const clients = [connect('will', will(own, 'will')), ...forbidden.map((topic, i) => connect(`forge${i}`, will(topic, 'forged')))];
      await Promise.all(clients.map(accepted));
      for (const cl of clients) cl.on('error', () => {});
      proxy.cut();
      const got = await alice.waitFor(has('will'), 'the Will', 4000).catch(() => undefined);
      t.expect(
        'ROLE-BROKER-1',
        got?.json?.status === 'offline',
        'the Will of a connection that dropped is published',
        seen(own, got?.json ?? 'no Will'),
      );
      const forged = await expectQuiet(alice, (m) => m.payload.toString().includes(`${mark}-forged`), 300, 0);
      t.expect(
        'SEC-ACL-5',
        forged.length === 0,
        "a Will on a topic its principal may not publish on (another principal's agent state, a host state) is delivered to nobody",
        forged[0] ? seen(forged[0].topic, forged[0].json) : undefined,
      );
      for (const cl of clients) cl.end(true);
      // Persistent session: carol subscribes with clean session 0, leaves, and gets what was published meanwhile.
      const clientId = `${c}.persist${randomBytes(2).toString('hex')}`;
      const carol = await ctx.peer(c, { clientId, clean: false });
      await ctx.subscribe(carol, own);
      await carol.client.endAsync();
      await bob.publish(own, agentState(b, 'online', `${mark}-queued`), { qos: 1 });
      const back = await ctx.peer(c, { clientId, clean: false });
      const queued = await back.waitFor(has('queued'), 'the queued message', 3000).catch(() => undefined);
      t.expect(
        'ROLE-BROKER-1',
        queued !== undefined,
        'a persistent session (clean session 0) gets the QoS 1 messages queued while it was away',
        { topic: own },
      );
      // Leave no agent state of the conformance principal behind.
      await bob.publish(own, Buffer.alloc(0), { qos: 1, retain: true });
    },
  },
]);
