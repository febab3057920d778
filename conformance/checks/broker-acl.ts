/**
 * Broker profile: the topic ACL as a broker shows it without a host [SEC-ACL-1, SEC-ACL-2, SEC-ACL-6,
 * SEC-HOST-1]. Without a host nobody takes part in a session: the checks forge and read the topics of
 * principals (replies, notifications, index, inbox, agent states) and of sessions nobody is in. Publishes
 * that only the host (or a loopback observer) could read are checked in anonymous mode, by an observer.
 */
import { randomBytes } from 'node:crypto';
import { defineChecks } from '../core/check.ts';
import { seen } from '../core/evidence.ts';
import type { BrokerCheckContext } from '../broker/context.ts';
import { filters, prefixes, topics } from '../../protocol/topics.ts';
import { claimHostName, publishEach, type Forgery } from '../kit/forgery.ts';
import { text } from '../kit/payloads.ts';
import { expectQuiet } from '../kit/waits.ts';
import type { Peer, Received } from '../wire-peer.ts';

/** A sid that no session has: without a host, every principal is a non-participant of every session. */
const nobodysSid = () => `cf-${randomBytes(12).toString('hex')}`;

/** In anonymous mode, a loopback observer that reads the whole tree; otherwise none. */
async function watcherOf(ctx: BrokerCheckContext): Promise<Peer | undefined> {
  if (!ctx.target.anonymous) return undefined;
  const watcher = await ctx.observer();
  await ctx.subscribe(watcher, filters.all());
  return watcher;
}

export default defineChecks<BrokerCheckContext>([
  {
    id: 'broker.acl.publish',
    profile: 'broker',
    covers: ['SEC-ACL-1', 'SEC-HOST-1'],
    description:
      "A principal's publishes on host-only topics and on other principals' topics reach nobody, retained ones are not kept, and a connection " +
      "claiming the host's user name without its credentials gets no host rights.",
    async run(ctx, t) {
      const [alice, bob] = await ctx.peers(2);
      const [a, b] = [alice.principal, bob.principal];
      for (const f of [filters.user(a), filters.repliesOf(a), filters.hostState(), filters.agentState(), filters.inbox(a)])
        await ctx.subscribe(alice, f);
      const watcher = await watcherOf(ctx);
      const sid = nobodysSid();
      const fakeHost = `cf-${ctx.suffix}`;
      const mark = `forged-${sid}`;
      const now = new Date().toISOString();
      const card = { name: mark, skills: [], capabilities: { streaming: false, inputRequests: false, steering: false, cancel: false } };
      const visible: Forgery[] = [
        {
          what: 'reply',
          topic: alice.replyTo,
          payload: { v: 1, type: 'ack', re: mark, data: { sid, seq: 1, duplicate: false } },
          retain: false,
        },
        { what: 'notify', topic: topics.notify(a), payload: { v: 1, k: 'closed', sid, seq: 1, t: mark }, retain: false },
        {
          what: 'index',
          topic: topics.sessionIndex(a, sid),
          payload: { v: 1, sid, role: 'viewer', status: 'closed', title: mark },
          retain: true,
        },
        {
          what: 'host state',
          topic: topics.hostState(fakeHost),
          payload: { v: 1, hostId: fakeHost, status: 'offline', epoch: 1, software: mark },
          retain: true,
        },
        {
          what: "another principal's agent state",
          topic: topics.agentState(a),
          payload: { v: 1, agentId: a, status: 'online', epoch: 1, time: now, card },
          retain: true,
        },
        { what: 'inbox doorbell', topic: topics.inbox(a), payload: { v: 1, agentId: a, pending: 7, time: now, note: mark }, retain: true },
      ];
      // Only the host reads these; in anonymous mode the observer does too.
      const hidden: Forgery[] = [
        {
          what: "another principal's submit",
          topic: topics.submit(sid, a),
          payload: { v: 1, id: `impostor-${ctx.suffix}`, type: 'message.send', data: text(mark) },
          retain: false,
        },
        {
          what: "another principal's requests",
          topic: topics.requests(a),
          payload: { v: 1, id: mark, type: 'sessions.list', replyTo: alice.replyTo, data: {} },
          retain: false,
        },
        {
          what: 'events',
          topic: topics.events(sid),
          payload: { v: 1, sid, events: [{ v: 1, sid, seq: 9, type: 'message', time: now, sender: a, data: text(mark) }] },
          retain: false,
        },
        {
          what: 'session state',
          topic: topics.sessionState(sid),
          payload: { v: 1, sid, headSeq: 9, status: 'closed', title: mark },
          retain: true,
        },
        { what: 'result', topic: topics.result(sid), payload: { v: 1, sid, seq: 9, status: 'failed', t: mark }, retain: true },
      ];
      const since = alice.log.length;
      await publishEach(ctx, b, [...visible, ...hidden]);
      // The sentinel: bob's own agent state, which the ACL allows; after it, a quiet period.
      await bob.publish(topics.agentState(b), {
        v: 1,
        agentId: b,
        status: 'online',
        epoch: 1,
        time: now,
        card: { ...card, name: `${mark}-sentinel` },
      });
      await t.need('the sentinel', () => alice.waitFor((m) => m.payload.toString().includes(`${mark}-sentinel`), "bob's own agent state"));
      await expectQuiet(alice, () => true, 300, since);
      // Retained forgeries would reach a newcomer too.
      const newcomer = await ctx.peer(a);
      for (const { topic } of visible) await newcomer.subscribe(topic).catch(() => 128);
      await expectQuiet(newcomer, () => true, 300, 0);
      const got: Received[] = [...alice.log.slice(since), ...newcomer.log, ...(watcher?.log ?? [])];
      const forgedOn = (topic: string) =>
        got.filter((m) => m.topic === topic && m.payload.toString().includes(mark) && !m.payload.toString().includes('-sentinel'));
      for (const { what, topic } of [...visible, ...(watcher ? hidden : [])]) {
        const leaked = forgedOn(topic);
        t.expect(
          'SEC-ACL-1',
          leaked.length === 0,
          `a principal's publish on the ${what} topic reaches nobody`,
          leaked[0] ? seen(leaked[0].topic, leaked[0].json ?? leaked[0].payload.toString()) : { topic },
        );
      }
      if (!watcher)
        t.note(
          `not observable without a host or a loopback observer, so not asserted: publishes on ${hidden.map((h) => h.what).join(', ')}`,
        );
      const claimed = await claimHostName(ctx, [
        { topic: topics.notify(a), payload: { v: 1, k: 'closed', sid, seq: 2, t: `${mark}-claimed` } },
        {
          topic: topics.hostState(fakeHost),
          payload: { v: 1, hostId: fakeHost, status: 'offline', epoch: 2, software: `${mark}-claimed` },
        },
      ]);
      const hostLeak = await expectQuiet(alice, (m) => m.payload.toString().includes(`${mark}-claimed`), 300, 0);
      claimed.end();
      const how = claimed.connected ? 'it connected, but its publishes on host-only topics reached nobody' : 'it was refused';
      t.expect(
        'SEC-HOST-1',
        hostLeak.length === 0,
        `a connection with user name tether-host and a wrong password gets no host rights (${how})`,
        hostLeak[0] ? seen(hostLeak[0].topic, hostLeak[0].json) : undefined,
      );
      t.expect(
        'SEC-HOST-1',
        [...visible, ...hidden].every((f) => forgedOn(f.topic).length === 0),
        "a principal gets none of the host's publish rights",
        undefined,
      );
      // Leave no agent state of the conformance principal behind.
      await bob.publish(topics.agentState(b), Buffer.alloc(0), { retain: true });
    },
  },
  {
    id: 'broker.acl.subscribe',
    profile: 'broker',
    covers: ['SEC-ACL-2', 'SEC-ACL-6'],
    description:
      'Nothing of another principal, nor of a session a principal is not in, reaches it; its subscriptions to such topics should be refused with ' +
      'SUBACK 0x80.',
    async run(ctx, t) {
      const [bob, erin] = await ctx.peers(2);
      const b = bob.principal;
      const sid = nobodysSid();
      const refused = [
        filters.events(sid),
        filters.sessionState(sid),
        filters.presence(sid),
        filters.session(sid),
        filters.result(sid),
        filters.events(),
        filters.sessionState(),
        filters.result(),
        filters.submit(sid),
        filters.notify(b),
        filters.sessionIndex(b),
        filters.user(b),
        filters.repliesOf(b),
        filters.inbox(b),
        filters.requests(),
        filters.all(),
        '#',
      ];
      for (const f of refused) {
        const granted = await erin.subscribe(f).catch(() => 128);
        t.expect(
          'SEC-ACL-6',
          granted === 128,
          `a subscription to ${f}, which could match topics it may not read, is refused (SUBACK 0x80)`,
          { topic: f, actual: `granted QoS ${granted}` },
        );
      }
      // Traffic erin must not see: bob's command and request (and, where a host runs, its replies to bob).
      const id = bob.nextId('secret');
      await bob.publish(topics.submit(sid, b), { v: 1, id, type: 'message.send', replyTo: bob.replyTo, data: text('secret') });
      await bob.publish(topics.requests(b), { v: 1, id: bob.nextId('r'), type: 'sessions.list', replyTo: bob.replyTo, data: { limit: 1 } });
      const foreign = (topic: string) =>
        topic.includes(sid) || topic === topics.requests(b) || topic.startsWith(prefixes.replies(b)) || topic.startsWith(prefixes.users(b));
      const leaked = await expectQuiet(erin, (m) => foreign(m.topic), 300, 0);
      t.expect(
        'SEC-ACL-2',
        leaked.length === 0,
        'no command, request or reply of another principal, nor anything of a session it is not in, reaches a principal',
        leaked[0] ? seen(leaked[0].topic, leaked[0].json ?? leaked[0].payload.toString()) : undefined,
      );
    },
  },
]);
