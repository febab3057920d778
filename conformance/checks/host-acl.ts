/**
 * Host profile (a deployment): the broker's topic ACL as far as it depends on the host's participant
 * lists, and the host's own topics [SEC-ACL-*, ROLE-HOST-2, LIVE-PRESENCE-3, SEC-HOST-1]. The broker
 * profile checks what a broker shows without a host (checks/broker-*.ts).
 */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { filters, prefixes, topics } from '../../protocol/topics.ts';
import { claimHostName, publishEach, type Forgery } from '../kit/forgery.ts';
import { text } from '../kit/payloads.ts';
import { expectQuiet, settled } from '../kit/waits.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.acl.publish',
    profile: 'host',
    covers: ['SEC-ACL-1', 'ROLE-HOST-2', 'LIVE-PRESENCE-3', 'SEC-HOST-1'],
    description:
      "A participant's publishes on host-only topics, on another principal's submit topic or on presence of a session it is not in " +
      'reach nobody and append nothing.',
    async run(ctx, t) {
      const { sid, owner: alice, bob } = await ctx.cast({ bob: 'member' }, { follow: true });
      const [a, b] = [alice.principal, bob.principal];
      const other = await ctx.session(alice);
      await ctx.subscribe(alice, filters.user(a));
      await ctx.subscribe(alice, filters.presence(sid));
      await ctx.subscribe(alice, filters.presence(other));
      await ctx.subscribe(alice, filters.hostState());
      const mark = `forged-${sid}`;
      const now = new Date().toISOString();
      const forgedEvent = { v: 1, sid, events: [{ v: 1, sid, seq: 99, type: 'message', time: now, sender: a, data: text(mark) }] };
      const presence = { v: 1, status: 'online', epoch: 1, time: now, note: mark };
      const attempts: Forgery[] = [
        { what: 'events', topic: topics.events(sid), payload: forgedEvent, retain: false },
        {
          what: 'session state',
          topic: topics.sessionState(sid),
          payload: { v: 1, sid, headSeq: 99, status: 'closed', title: mark },
          retain: true,
        },
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
          topic: topics.hostState(ctx.hostId),
          payload: { v: 1, hostId: ctx.hostId, status: 'offline', epoch: 1, software: mark },
          retain: true,
        },
        { what: 'presence as another principal', topic: topics.presence(sid, a, 'forged'), payload: presence, retain: true },
        { what: 'presence in a session it is not in', topic: topics.presence(other, b, 'dev'), payload: presence, retain: true },
      ];
      const since = alice.log.length;
      await publishEach(ctx, b, attempts);
      const impostorId = bob.nextId('impostor');
      await settled(bob.publish(topics.submit(sid, a), { v: 1, id: impostorId, type: 'message.send', data: text('as alice') }));
      await settled(bob.close());
      const sentinel = await ctx.ok(alice, sid, 'message.send', text('sentinel'));
      await ctx.waitSeq(alice, sid, sentinel);
      // Whatever got through has arrived once the quiet period after the sentinel is over.
      await expectQuiet(alice, () => true, 300, since);
      // Retained forgeries would reach a newcomer too.
      const newcomer = await ctx.peer(a);
      for (const { topic } of attempts) await newcomer.subscribe(topic).catch(() => 128);
      await expectQuiet(newcomer, () => true, 300, 0);
      const got = [...alice.log.slice(since), ...newcomer.log];
      for (const { what, topic } of attempts) {
        const leaked = got.filter((m) => m.topic === topic && m.payload.toString().includes(mark));
        const id = what.startsWith('presence') ? 'LIVE-PRESENCE-3' : 'SEC-ACL-1';
        const evidence = leaked[0] ? seen(leaked[0].topic, leaked[0].json ?? leaked[0].payload.toString()) : { topic };
        t.expect(id, leaked.length === 0, `a participant's publish on the ${what} topic reaches nobody`, evidence);
        if (!what.startsWith('presence')) {
          t.expect(
            'ROLE-HOST-2',
            leaked.length === 0,
            `only the host publishes on the ${what} topic`,
            leaked[0] ? seen(leaked[0].topic, leaked[0].json) : { topic },
          );
        }
      }
      // A connection claiming the usual host user name without its credentials gets no host rights.
      const claimedEvent = { ...forgedEvent, events: [{ ...forgedEvent.events[0], seq: 98, data: text('claimed', `${mark}-claimed`) }] };
      const claimed = await claimHostName(ctx, [{ topic: topics.events(sid), payload: claimedEvent }]);
      const hostLeak = await expectQuiet(alice, (m) => m.payload.toString().includes(`${mark}-claimed`), 300, 0);
      claimed.end();
      const how = claimed.connected ? 'it connected, but its publish on the events topic reached nobody' : 'it was refused';
      t.expect(
        'SEC-HOST-1',
        hostLeak.length === 0,
        `a connection with user name tether-host and a wrong password gets no host rights (${how})`,
        hostLeak[0] ? seen(hostLeak[0].topic, hostLeak[0].json) : undefined,
      );
      t.expect(
        'SEC-HOST-1',
        got.length === 0 || !got.some((m) => m.payload.toString().includes(mark)),
        "a participant gets none of the host's publish rights",
        undefined,
      );
      const log = await ctx.log(alice, sid);
      t.expect(
        'SEC-ACL-1',
        !log.some((e) => e.cid === impostorId),
        "a command published on another principal's submit topic appends nothing",
        { payload: excerpt(log.map((e) => [e.seq, e.sender, e.cid])) },
      );
      t.expect(
        'SEC-ACL-1',
        log.every((e) => Number(e.seq) <= sentinel),
        'no forged event entered the log',
        { payload: excerpt(log.map((e) => e.seq)) },
      );
    },
  },
  {
    id: 'host.acl.subscribe',
    profile: 'host',
    covers: ['SEC-ACL-2', 'SEC-ACL-6'],
    description:
      'Nothing of a session or of another principal reaches a non-participant; its subscriptions to such topics should be refused with SUBACK 0x80.',
    async run(ctx, t) {
      const { sid, owner: alice, bob, erin } = await ctx.cast({ bob: 'outsider', erin: 'outsider' });
      const [a, b] = [alice.principal, bob.principal];
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
        t.expect('SEC-ACL-6', granted === 128, `a non-participant's subscription to ${f} is refused (SUBACK 0x80)`, {
          topic: f,
          actual: `granted QoS ${granted}`,
        });
      }
      // Traffic erin must not see: the session's events, state and result, and bob's index, notify and replies.
      await ctx.ok(alice, sid, 'run.start', { runId: 'r1' });
      await ctx.ok(alice, sid, 'run.finish', { runId: 'r1', status: 'completed' });
      await ctx.ok(alice, sid, 'message.send', text('secret'));
      const sid2 = await ctx.session(alice, [{ principal: b, role: 'member' }], 'for bob only');
      await ctx.ok(bob, sid2, 'message.send', text('bob speaks'));
      await bob.request('sessions.list', { limit: 1 });
      const own = [prefixes.users(b), prefixes.replies(b), prefixes.users(a), prefixes.replies(a)];
      const foreign = (topic: string) => topic.includes(sid) || topic.includes(sid2) || own.some((p) => topic.startsWith(p));
      const leaked = await expectQuiet(erin, (m) => foreign(m.topic), 300, 0);
      t.expect(
        'SEC-ACL-2',
        leaked.length === 0,
        "no message of the session, nor of another principal's index, notify or reply topics, reaches the non-participant",
        leaked[0] ? seen(leaked[0].topic, leaked[0].json ?? leaked[0].payload.toString()) : undefined,
      );
    },
  },
  {
    id: 'host.acl.removed-participant',
    profile: 'host',
    covers: ['SEC-ACL-3'],
    description: 'A removed participant should stop receiving the session, also on the subscription it made while it was one.',
    async run(ctx, t) {
      const { sid, owner: alice, bob } = await ctx.cast({ bob: 'member' }, { follow: true });
      await ctx.subscribe(bob, filters.events(sid));
      await ctx.ok(alice, sid, 'participant.remove', { principal: bob.principal });
      const after = await ctx.ok(alice, sid, 'message.send', text('not for bob any more'));
      await ctx.waitSeq(alice, sid, after);
      await expectQuiet(bob, filters.events(sid), 300);
      t.expect(
        'SEC-ACL-3',
        !bob.events(sid).some((e) => e.seq === after),
        'after participant.left the removed principal receives no more events of the session',
        { payload: excerpt(bob.events(sid).map((e) => e.seq)) },
      );
    },
  },
]);
