/**
 * Host profile: session create and close, participants, the session index, sessions.list
 * [HOST-CREATE-*, HOST-CLOSE-*, CMD-PART-*, CMD-INDEX-*, ROLE-OWNER-1, REQ-LIST-1].
 */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { filters, topics } from '../../protocol/topics.ts';
import type { ObservedPayload } from '../kit/observed.ts';
import { stateAt } from '../kit/state.ts';
import { text } from '../kit/payloads.ts';
import { pastInstant } from '../kit/waits.ts';
import type { Peer } from '../wire-peer.ts';

/** The retained index entry of principal for sid, as a fresh peer of that principal receives it. */
async function indexEntry(
  ctx: HostCheckContext,
  principal: string,
  sid: string,
  pred: (j: ObservedPayload | undefined, raw: Buffer) => boolean,
  what: string,
  waitMs = 2000,
) {
  const peer = await ctx.peer(principal);
  const topic = topics.sessionIndex(principal, sid);
  await ctx.subscribe(peer, topic);
  try {
    return await peer.waitFor((m) => m.topic === topic && pred(m.json, m.payload), what, waitMs);
  } catch {
    return peer.on(topic).at(-1);
  }
}

export default defineChecks<HostCheckContext>([
  {
    id: 'host.session.create',
    profile: 'host',
    covers: ['HOST-CREATE-3', 'CMD-INDEX-1'],
    description:
      'session.created is seq 1 with the creator first as owner, then the listed participants in order; every participant gets a retained index entry.',
    async run(ctx, t) {
      const { sid, owner: alice, bob, carol } = await ctx.cast({ bob: 'member', carol: 'viewer' }, { title: 'index me' });
      const [a, b, c] = [alice.principal, bob.principal, carol.principal];
      const log = await ctx.log(alice, sid);
      const first = log[0];
      t.expect(
        'HOST-CREATE-3',
        first?.seq === 1 && first?.type === 'session.created' && first?.sender === a,
        'the first event is session.created at seq 1 from the creator',
        seen(undefined, first),
      );
      t.equal(
        'HOST-CREATE-3',
        first?.data?.participants,
        [
          { principal: a, role: 'owner' },
          { principal: b, role: 'member' },
          { principal: c, role: 'viewer' },
        ],
        'participants: the creator first as owner, then the listed ones in order',
        seen(undefined, first),
      );
      for (const [p, role] of [
        [a, 'owner'],
        [b, 'member'],
        [c, 'viewer'],
      ]) {
        const m = await indexEntry(ctx, p, sid, (j) => j?.sid === sid, `index entry of ${p}`);
        const j = m?.json;
        t.expect(
          'CMD-INDEX-1',
          j?.sid === sid && j.role === role && j.status === 'open' && j.title === 'index me' && j.createdBy === a,
          `${p} gets a retained index entry (role ${role}, status open, title, createdBy)`,
          seen(topics.sessionIndex(p, sid), j ?? 'nothing retained'),
        );
      }
    },
  },
  {
    id: 'host.session.exists',
    profile: 'host',
    covers: ['HOST-CREATE-2'],
    description: 'A repeat of the creating command gets its ack again; any other session.create of that sid gets SESSION_EXISTS.',
    async run(ctx, t) {
      const [alice, bob] = await ctx.peers(2);
      const sid = ctx.sid();
      const id = alice.nextId('create');
      const first = await alice.command(sid, 'session.create', { title: 'once' }, { id });
      if (first?.type !== 'ack') t.notTestable(`session.create was refused: ${excerpt(first)}`);
      const repeat = await alice.command(sid, 'session.create', { title: 'once' }, { id });
      t.equal(
        'HOST-CREATE-2',
        repeat?.data,
        { sid, seq: 1, duplicate: true },
        'a repeat of the creating command gets the original ack',
        seen(alice.replyTo, repeat),
      );
      t.errorCode(
        'HOST-CREATE-2',
        await alice.command(sid, 'session.create', { title: 'twice' }),
        'SESSION_EXISTS',
        'a second session.create by the creator with a new id',
      );
      t.errorCode(
        'HOST-CREATE-2',
        await bob.command(sid, 'session.create', {}),
        'SESSION_EXISTS',
        'session.create of the sid by another principal',
      );
    },
  },
  {
    id: 'host.session.participants-listed-twice',
    profile: 'host',
    covers: ['HOST-CREATE-4'],
    description: 'A session.create listing a principal twice is refused with SCHEMA_INVALID; an entry for the creator is ignored.',
    async run(ctx, t) {
      const [a, b] = ctx.principals(2);
      const alice = await ctx.peer(a);
      const twice = await alice.command(ctx.sid(), 'session.create', {
        participants: [
          { principal: b, role: 'member' },
          { principal: b, role: 'viewer' },
        ],
      });
      t.errorCode('HOST-CREATE-4', twice, 'SCHEMA_INVALID', 'session.create listing a principal twice', alice.replyTo);
      const sid = ctx.sid();
      const self = await alice.command(sid, 'session.create', {
        participants: [
          { principal: a, role: 'viewer' },
          { principal: b, role: 'member' },
        ],
      });
      t.acked('HOST-CREATE-4', self, 'session.create listing the creator (ignored) and another principal', alice.replyTo);
      if (self?.type !== 'ack') return;
      const [created] = await ctx.log(alice, sid);
      t.equal(
        'HOST-CREATE-4',
        created?.data?.participants,
        [
          { principal: a, role: 'owner' },
          { principal: b, role: 'member' },
        ],
        'the creator stays owner; its own entry is ignored',
        seen(undefined, created),
      );
    },
  },
  {
    id: 'host.session.not-found',
    profile: 'host',
    covers: ['HOST-CREATE-1', 'HOST-HISTORY-1'],
    description: 'Every command other than session.create for a sid without log gets SESSION_NOT_FOUND.',
    async run(ctx, t) {
      const [alice] = await ctx.peers(1);
      const sid = ctx.sid();
      const commands: [string, object][] = [
        ['message.send', text('m1')],
        ['session.close', {}],
        ['participant.add', { principal: alice.principal, role: 'member' }],
        ['run.start', { runId: 'r1' }],
      ];
      for (const [type, data] of commands) {
        t.errorCode(
          'HOST-CREATE-1',
          await alice.command(sid, type, data),
          'SESSION_NOT_FOUND',
          `${type} for a sid that has no log`,
          alice.replyTo,
        );
      }
      const reply = await alice.request('history.get', { sid });
      t.errorCode('HOST-HISTORY-1', reply, 'SESSION_NOT_FOUND', 'history.get for a sid that has no log', alice.replyTo);
    },
  },
  {
    id: 'host.session.close',
    profile: 'host',
    covers: ['HOST-CLOSE-2', 'HOST-CLOSE-1', 'HOST-CLOSE-3', 'HIST-PAGE-6', 'CMD-INDEX-1'],
    description:
      'After session.closed the status is closed, every command gets SESSION_CLOSED, no deadline event is appended, and history still answers.',
    timeoutMs: 15000,
    async run(ctx, t) {
      const { sid, owner: alice, bob, agent } = await ctx.cast({ bob: 'member', agent: 'agent' });
      await ctx.follow(bob, sid);
      await ctx.ok(agent, sid, 'run.start', { runId: 'r1' });
      await ctx.ok(agent, sid, 'message.start', { msgId: 's1', role: 'agent', runId: 'r1' });
      const seqNow = await ctx.ok(alice, sid, 'message.send', text('m1'));
      const hostNow = Date.parse(String((await ctx.waitSeq(bob, sid, seqNow)).time));
      const deadline = new Date(Math.max(hostNow, Date.now()) + 500).toISOString();
      await ctx.ok(agent, sid, 'input.request', {
        requestId: 'q1',
        prompt: 'ok?',
        deadline,
        onTimeout: { policy: 'default', value: 'yes' },
      });
      const closedSeq = await ctx.ok(alice, sid, 'session.close', { reason: 'done' });
      const state = await stateAt(bob, sid, closedSeq);
      t.expect(
        'HOST-CLOSE-2',
        state?.status === 'closed' && Number(state?.headSeq) >= closedSeq,
        'the session state shows status closed after session.closed',
        seen(topics.sessionState(sid), state),
      );
      const entry = await indexEntry(ctx, bob.principal, sid, (j) => j?.status === 'closed', `closed index entry of ${bob.principal}`);
      t.expect(
        'CMD-INDEX-1',
        entry?.json?.status === 'closed',
        'the index entries are republished with status closed',
        seen(topics.sessionIndex(bob.principal, sid), entry?.json),
      );
      const attempts: [Peer, string, object][] = [
        [alice, 'message.send', text('m2')],
        [bob, 'message.send', text('m3')],
        [agent, 'message.delta', { msgId: 's1', i: 0, text: 'x' }],
        [agent, 'run.finish', { runId: 'r1', status: 'completed' }],
        [bob, 'input.answer', { requestId: 'q1', value: 'no' }],
        [alice, 'session.close', {}],
        [alice, 'participant.add', { principal: bob.principal, role: 'viewer' }],
      ];
      for (const [who, type, data] of attempts)
        t.errorCode('HOST-CLOSE-1', await who.command(sid, type, data), 'SESSION_CLOSED', `${type} after the close`, who.replyTo);
      await pastInstant(Date.parse(deadline), 900);
      const log = await ctx.log(bob, sid);
      const after = log.filter((e) => Number(e.seq) > closedSeq);
      t.expect(
        'HOST-CLOSE-3',
        after.length === 0,
        'nothing is appended after session.closed, not even the resolution of a passed deadline',
        { payload: excerpt(after) },
      );
      const page = await bob.request('history.get', { sid, after: 0, compact: false });
      t.expect(
        'HIST-PAGE-6',
        page?.type === 'history.page' && page.data?.events?.length === closedSeq && page.data?.headSeq === closedSeq,
        'history.get of the closed session answers like that of an open one',
        seen(bob.replyTo, page),
      );
    },
  },
  {
    id: 'host.participant.roles',
    profile: 'host',
    covers: ['CMD-PART-1', 'CMD-PART-2', 'CMD-INDEX-1', 'CMD-INDEX-2', 'SEC-ACL-4'],
    description:
      'participant.joined sets or replaces a role; participant.left removes the principal (NOT_PARTICIPANT after) and clears its index entry.',
    async run(ctx, t) {
      const { sid, owner: alice, bob } = await ctx.cast({ bob: 'outsider' }, { follow: true });
      const b = bob.principal;
      await ctx.ok(alice, sid, 'participant.add', { principal: b, role: 'viewer' });
      const granted = await bob.subscribe(filters.events(sid));
      t.expect('SEC-ACL-4', granted === 1, "a principal may subscribe to the session's events as soon as its participant.joined is acked", {
        topic: filters.events(sid),
        actual: `SUBACK ${granted}`,
      });
      t.errorCode('CMD-PART-1', await bob.command(sid, 'message.send', text('v1')), 'FORBIDDEN', "a viewer's message.send", bob.replyTo);
      const promoted = await ctx.ok(alice, sid, 'participant.add', { principal: b, role: 'member' });
      t.acked(
        'CMD-PART-1',
        await bob.command(sid, 'message.send', text('m1')),
        "the same principal's message.send after participant.add changed its role to member",
        bob.replyTo,
      );
      const st = await stateAt(alice, sid, promoted);
      const roles = (st?.participants ?? []).filter((p) => p.principal === b);
      t.equal(
        'CMD-PART-1',
        roles,
        [{ principal: b, role: 'member' }],
        'the state lists the principal once, with the new role',
        seen(topics.sessionState(sid), st),
      );
      const entry = await indexEntry(ctx, b, sid, (j) => j?.role === 'member', `index entry of ${b} as member`);
      t.expect(
        'CMD-INDEX-1',
        entry?.json?.role === 'member',
        'the index entry is republished when the role changes',
        seen(topics.sessionIndex(b, sid), entry?.json),
      );
      await ctx.ok(alice, sid, 'participant.remove', { principal: b });
      t.errorCode(
        'CMD-PART-2',
        await bob.command(sid, 'message.send', text('m2')),
        'NOT_PARTICIPANT',
        "a removed principal's message.send",
        bob.replyTo,
      );
      t.errorCode(
        'CMD-PART-2',
        await bob.request('history.get', { sid }),
        'NOT_PARTICIPANT',
        "a removed principal's history.get",
        bob.replyTo,
      );
      const cleared = await indexEntry(ctx, b, sid, (_j, raw) => raw.length === 0, 'cleared index entry', 500);
      t.expect(
        'CMD-INDEX-2',
        cleared === undefined || cleared.payload.length === 0,
        "the removed principal's index entry is cleared (no retained entry, or an empty payload)",
        seen(topics.sessionIndex(b, sid), cleared?.payload.toString() ?? 'nothing retained'),
      );
    },
  },
  {
    id: 'host.participant.last-owner',
    profile: 'host',
    covers: ['ROLE-OWNER-1', 'CMD-PART-3'],
    description: 'Removing or demoting the last owner, or removing a non-participant, is refused with CONFLICT.',
    async run(ctx, t) {
      const [a, b, c] = ctx.principals(3);
      const alice = await ctx.peer(a);
      const sid = await ctx.session(alice, [{ principal: b, role: 'member' }]);
      t.errorCode('ROLE-OWNER-1', await alice.command(sid, 'participant.remove', { principal: a }), 'CONFLICT', 'removing the last owner');
      t.errorCode(
        'ROLE-OWNER-1',
        await alice.command(sid, 'participant.add', { principal: a, role: 'member' }),
        'CONFLICT',
        'demoting the last owner',
      );
      t.errorCode(
        'CMD-PART-3',
        await alice.command(sid, 'participant.remove', { principal: c }),
        'CONFLICT',
        'removing a principal who is not a participant',
      );
      await ctx.ok(alice, sid, 'participant.add', { principal: b, role: 'owner' });
      t.acked(
        'ROLE-OWNER-1',
        await alice.command(sid, 'participant.add', { principal: a, role: 'member' }),
        'demoting an owner while another owner remains',
        alice.replyTo,
      );
    },
  },
  {
    id: 'host.sessions.list',
    profile: 'host',
    covers: ['REQ-LIST-1'],
    description: "sessions.list returns the requester's index entries, filtered by status, most recently updated first, at most limit.",
    async run(ctx, t) {
      const { sid: s1, owner: alice, bob } = await ctx.cast({ bob: 'viewer' }, { title: 'first' });
      const b = bob.principal;
      const s2 = await ctx.session(alice, [{ principal: b, role: 'member' }], 'second');
      const s3 = await ctx.session(alice, [], "not bob's");
      // The next update must get a later updatedAt than the creations.
      await pastInstant(Date.now(), 5);
      await ctx.ok(alice, s1, 'message.send', text('bump'));
      await ctx.ok(alice, s2, 'session.close', {});
      const all = await bob.request('sessions.list', { limit: 500 });
      const entries = all?.data?.sessions ?? [];
      const sids = entries.map((e) => e.sid);
      t.expect(
        'REQ-LIST-1',
        sids.includes(s1) && sids.includes(s2) && !sids.includes(s3),
        'the list holds the sessions the requester takes part in and no other',
        seen(bob.replyTo, all),
      );
      const e1 = entries.find((e) => e.sid === s1);
      t.expect(
        'REQ-LIST-1',
        e1?.role === 'viewer' && e1?.v === 1 && e1?.title === 'first',
        "the entries are the requester's index entries",
        seen(bob.replyTo, e1),
      );
      const times = entries.map((e) => Date.parse(String(e.updatedAt)));
      t.expect(
        'REQ-LIST-1',
        times.every((x, i) => i === 0 || x <= times[i - 1]),
        'most recently updated first',
        seen(
          bob.replyTo,
          entries.map((e) => [e.sid, e.updatedAt]),
        ),
      );
      const open = await bob.request('sessions.list', { status: 'open', limit: 500 });
      const openEntries = open?.data?.sessions ?? [];
      const openSids = openEntries.map((e) => e.sid);
      t.expect(
        'REQ-LIST-1',
        openSids.includes(s1) && !openSids.includes(s2) && openEntries.every((e) => e.status === 'open'),
        'status open leaves out closed sessions',
        seen(bob.replyTo, open),
      );
      const one = await bob.request('sessions.list', { limit: 1 });
      t.expect('REQ-LIST-1', one?.data?.sessions?.length === 1, 'limit 1 returns one entry', seen(bob.replyTo, one));
    },
  },
]);
