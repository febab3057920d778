/** Host profile (deployment: host and broker): topic ACL, verb authorisation and limits [SEC-*, HOST-AUTHZ-*, HOST-LIMIT-*, ROLE-HOST-2]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import { text, type HostCheckContext } from '../host/context.ts';
import type { WirePeer } from '../wire-peer.ts';

type D = Record<string, any>;

/** Waits for a publish or close that a broker may never acknowledge (it may drop the connection of a refused publish). */
const settle = (p: Promise<unknown>, ms = 300) => Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, ms))]);

export default defineChecks<HostCheckContext>([
  {
    id: 'host.acl.publish',
    profile: 'host',
    covers: ['SEC-ACL-1', 'ROLE-HOST-2', 'LIVE-PRESENCE-3'],
    description: 'A participant\'s publishes on host-only topics, on another principal\'s submit topic or on presence of a session it is not in reach nobody and append nothing.',
    async run(ctx, t) {
      const [a, b, c] = ctx.principals(3);
      const alice = await ctx.peer(a);
      const sid = await ctx.session(alice, [{ principal: b, role: 'member' }]);
      const other = await ctx.session(alice);
      await ctx.follow(alice, sid);
      await ctx.subscribe(alice, `tether/v1/users/${a}/#`);
      await ctx.subscribe(alice, `tether/v1/sessions/${sid}/presence/+/+`);
      await ctx.subscribe(alice, `tether/v1/sessions/${other}/presence/+/+`);
      await ctx.subscribe(alice, `tether/v1/host/+/state`);
      const mark = `forged-${sid}`;
      const now = new Date().toISOString();
      const forgedEvent = { v: 1, sid, events: [{ v: 1, sid, seq: 99, type: 'message', time: now, sender: a, data: text(mark) }] };
      const attempts: [string, string, D, boolean][] = [
        ['events', `tether/v1/sessions/${sid}/events`, forgedEvent, false],
        ['session state', `tether/v1/sessions/${sid}/state`, { v: 1, sid, headSeq: 99, status: 'closed', title: mark }, true],
        ['reply', alice.replyTo, { v: 1, type: 'ack', re: mark, data: { sid, seq: 1, duplicate: false } }, false],
        ['notify', `tether/v1/users/${a}/notify`, { v: 1, k: 'closed', sid, seq: 1, t: mark }, false],
        ['index', `tether/v1/users/${a}/sessions/${sid}`, { v: 1, sid, role: 'viewer', status: 'closed', title: mark }, true],
        ['host state', `tether/v1/host/${ctx.hostId}/state`, { v: 1, hostId: ctx.hostId, status: 'offline', epoch: 1, software: mark }, true],
        ['presence as another principal', `tether/v1/sessions/${sid}/presence/${a}/forged`, { v: 1, status: 'online', epoch: 1, time: now, note: mark }, true],
        ['presence in a session it is not in', `tether/v1/sessions/${other}/presence/${b}/dev`, { v: 1, status: 'online', epoch: 1, time: now, note: mark }, true],
      ];
      const since = alice.log.length;
      // A broker may close the connection of a refused publish: one fresh connection per attempt.
      await Promise.all(
        attempts.map(async ([, topic, payload, retain]) => {
          const bob = await ctx.peer(b);
          await settle(bob.publish(topic, payload, { retain }));
          await settle(bob.close());
        }),
      );
      const bob = await ctx.peer(b);
      const impostorId = bob.nextId('impostor');
      await settle(bob.publish(`tether/v1/sessions/${sid}/submit/${a}`, { v: 1, id: impostorId, type: 'message.send', data: text('as alice') }));
      await settle(bob.close());
      const sentinel = await ctx.ok(alice, sid, 'message.send', text('sentinel'));
      await ctx.waitSeq(alice, sid, sentinel);
      await ctx.sleep(300);
      // Retained forgeries would reach a newcomer too.
      const newcomer = await ctx.peer(a);
      for (const [, topic] of attempts) await newcomer.subscribe(topic).catch(() => 128);
      await ctx.sleep(300);
      const got = [...alice.log.slice(since), ...newcomer.log];
      for (const [what, topic] of attempts) {
        const leaked = got.filter((m) => m.topic === topic && m.payload.toString().includes(mark));
        const id = what.startsWith('presence') ? 'LIVE-PRESENCE-3' : 'SEC-ACL-1';
        t.expect(id, leaked.length === 0, `a participant's publish on the ${what} topic reaches nobody`, leaked[0] ? seen(leaked[0].topic, leaked[0].json ?? leaked[0].payload.toString()) : { topic });
        if (!what.startsWith('presence')) t.expect('ROLE-HOST-2', leaked.length === 0, `only the host publishes on the ${what} topic`, leaked[0] ? seen(leaked[0].topic, leaked[0].json) : { topic });
      }
      const log = await ctx.log(alice, sid);
      t.expect('SEC-ACL-1', !log.some((e) => e.cid === impostorId), 'a command published on another principal\'s submit topic appends nothing', { payload: excerpt(log.map((e) => [e.seq, e.sender, e.cid])) });
      t.expect('SEC-ACL-1', log.every((e) => e.seq <= sentinel), 'no forged event entered the log', { payload: excerpt(log.map((e) => e.seq)) });
    },
  },
  {
    id: 'host.acl.subscribe',
    profile: 'host',
    covers: ['SEC-ACL-2', 'SEC-ACL-6'],
    description: 'Nothing of a session or of another principal reaches a non-participant; its subscriptions to such topics should be refused with SUBACK 0x80.',
    async run(ctx, t) {
      const [a, b, e] = ctx.principals(3);
      const alice = await ctx.peer(a);
      const erin = await ctx.peer(e);
      const sid = await ctx.session(alice);
      const filters = [
        `tether/v1/sessions/${sid}/events`,
        `tether/v1/sessions/${sid}/state`,
        `tether/v1/sessions/${sid}/presence/+/+`,
        `tether/v1/sessions/${sid}/#`,
        `tether/v1/results/${sid}`,
        `tether/v1/sessions/+/events`,
        `tether/v1/sessions/+/state`,
        `tether/v1/results/+`,
        `tether/v1/sessions/${sid}/submit/+`,
        `tether/v1/users/${b}/notify`,
        `tether/v1/users/${b}/sessions/+`,
        `tether/v1/users/${b}/#`,
        `tether/v1/replies/${b}/#`,
        `tether/v1/agents/${b}/inbox`,
        `tether/v1/requests/+`,
        'tether/v1/#',
        '#',
      ];
      for (const f of filters) {
        const granted = await erin.subscribe(f).catch(() => 128);
        t.expect('SEC-ACL-6', granted === 128, `a non-participant's subscription to ${f} is refused (SUBACK 0x80)`, { topic: f, actual: `granted QoS ${granted}` });
      }
      // Traffic erin must not see: the session's events, state and result, and bob's index, notify and replies.
      await ctx.ok(alice, sid, 'run.start', { runId: 'r1' });
      await ctx.ok(alice, sid, 'run.finish', { runId: 'r1', status: 'completed' });
      await ctx.ok(alice, sid, 'message.send', text('secret'));
      const bob = await ctx.peer(b);
      const sid2 = await ctx.session(alice, [{ principal: b, role: 'member' }], 'for bob only');
      await ctx.ok(bob, sid2, 'message.send', text('bob speaks'));
      await bob.request('sessions.list', { limit: 1 });
      await ctx.sleep(300);
      const foreign = (topic: string) => topic.includes(sid) || topic.includes(sid2) || topic.startsWith(`tether/v1/users/${b}/`) || topic.startsWith(`tether/v1/replies/${b}/`) || topic.startsWith(`tether/v1/users/${a}/`) || topic.startsWith(`tether/v1/replies/${a}/`);
      const leaked = erin.log.filter((m) => foreign(m.topic));
      t.expect('SEC-ACL-2', leaked.length === 0, 'no message of the session, nor of another principal\'s index, notify or reply topics, reaches the non-participant', leaked[0] ? seen(leaked[0].topic, leaked[0].json ?? leaked[0].payload.toString()) : undefined);
    },
  },
  {
    id: 'host.verbs.matrix',
    profile: 'host',
    covers: ['HOST-AUTHZ-1', 'HOST-AUTHZ-2', 'HOST-AUTHZ-3'],
    description: 'The host refuses commands the sender\'s role does not allow (FORBIDDEN) and commands and history requests from non-participants (NOT_PARTICIPANT).',
    async run(ctx, t) {
      const [o, m, ap, v, ag, out] = ctx.principals(6);
      const owner = await ctx.peer(o);
      const sid = await ctx.session(owner, [{ principal: m, role: 'member' }, { principal: ap, role: 'approver' }, { principal: v, role: 'viewer' }, { principal: ag, role: 'agent' }]);
      const peers: Record<string, WirePeer> = { owner, member: await ctx.peer(m), approver: await ctx.peer(ap), viewer: await ctx.peer(v), agent: await ctx.peer(ag), outsider: await ctx.peer(out) };
      await ctx.ok(peers.agent, sid, 'run.start', { runId: 'r-agent' });
      const steerSeq = await ctx.ok(owner, sid, 'steer', { text: 'hint' });
      const cmd: Record<string, D> = {
        'session.close': {},
        'participant.add': { principal: out, role: 'viewer' },
        'participant.remove': { principal: v },
        'message.send': text('x'),
        'message.start': { msgId: 'sx', role: 'user' },
        'run.start': { runId: 'rx' },
        'run.cancel': { runId: 'r-agent' },
        steer: { text: 'x' },
        'steer.apply': { steerSeq },
        'input.request': { requestId: 'qx', prompt: 'x' },
        'input.answer': { requestId: 'none', value: 1 },
      };
      const forbidden: Record<string, string[]> = {
        owner: ['steer.apply'],
        member: ['session.close', 'participant.add', 'participant.remove', 'run.start', 'steer.apply', 'input.request'],
        approver: ['session.close', 'participant.add', 'participant.remove', 'message.send', 'message.start', 'run.start', 'run.cancel', 'steer', 'steer.apply', 'input.request'],
        viewer: Object.keys(cmd),
        agent: ['session.close', 'participant.add', 'participant.remove', 'run.cancel', 'steer', 'input.answer'],
      };
      for (const [role, types] of Object.entries(forbidden)) {
        for (const type of types) {
          const r = await peers[role].command(sid, type, cmd[type]);
          t.errorCode('HOST-AUTHZ-1', r, 'FORBIDDEN', `${type} from a participant with role ${role}`, peers[role].replyTo);
        }
      }
      t.errorCode('HOST-AUTHZ-3', await peers.viewer.command(sid, 'message.send', text('y')), 'FORBIDDEN', 'a viewer\'s message.send published on its own (ACL-allowed) submit topic');
      for (const type of ['message.send', 'session.close', 'input.answer']) {
        t.errorCode('HOST-AUTHZ-2', await peers.outsider.command(sid, type, cmd[type]), 'NOT_PARTICIPANT', `${type} from a non-participant`, peers.outsider.replyTo);
      }
      t.errorCode('HOST-AUTHZ-2', await peers.outsider.request('history.get', { sid }), 'NOT_PARTICIPANT', 'history.get from a non-participant', peers.outsider.replyTo);
      const hist = await peers.viewer.request('history.get', { sid });
      t.expect('HOST-AUTHZ-1', hist?.type === 'history.page', 'history.get from a viewer is answered', seen(peers.viewer.replyTo, hist));
      t.acked('HOST-AUTHZ-1', await peers.member.command(sid, 'message.send', text('member says')), 'message.send from a member', peers.member.replyTo);
      t.acked('HOST-AUTHZ-1', await peers.agent.command(sid, 'steer.apply', { steerSeq }), 'steer.apply from an agent', peers.agent.replyTo);
    },
  },
  {
    id: 'host.limits.payload',
    profile: 'host',
    covers: ['HOST-LIMIT-1', 'HOST-LIMIT-2', 'HOST-LIMIT-6', 'HOST-REPLY-2'],
    description: 'A command larger than maxPayloadBytes gets PAYLOAD_TOO_LARGE and the connection stays usable; one of exactly maxPayloadBytes is not refused for its size.',
    async run(ctx, t) {
      const max = Number(ctx.limits.maxPayloadBytes);
      if (!Number.isInteger(max) || max > 4 * 1024 * 1024) t.notTestable(`maxPayloadBytes ${ctx.limits.maxPayloadBytes} is too large to exceed in a check`);
      const [a] = ctx.principals(1);
      const alice = await ctx.peer(a, { timeoutMs: 10000 });
      const sid = await ctx.session(alice);
      const sized = (bytes: number, id: string) => {
        const base = { v: 1, id, type: 'message.send', replyTo: alice.replyTo, data: { msgId: id.slice(-20), role: 'user', parts: [{ kind: 'text', text: '' }] } };
        const fill = bytes - Buffer.byteLength(JSON.stringify(base));
        base.data.parts[0].text = 'x'.repeat(Math.max(0, fill));
        return JSON.stringify(base);
      };
      const bigId = alice.nextId('big');
      await alice.publish(`tether/v1/sessions/${sid}/submit/${a}`, sized(max + 1000, bigId));
      const big = await alice.waitFor((m) => m.json?.re === bigId, 'reply to the oversized command').catch(() => undefined);
      t.errorCode('HOST-LIMIT-1', big?.json, 'PAYLOAD_TOO_LARGE', `a command of ${max + 1000} bytes (maxPayloadBytes ${max})`, alice.replyTo);
      t.expect('HOST-REPLY-2', big?.json?.data?.code === 'PAYLOAD_TOO_LARGE', 'the oversized command with a readable replyTo gets a PAYLOAD_TOO_LARGE reply', seen(alice.replyTo, big?.json ?? 'no reply'));
      const after = await alice.command(sid, 'message.send', text('still here')).catch((err: Error) => ({ error: err.message }));
      t.expect('HOST-LIMIT-6', (after as D)?.type === 'ack', 'the connection stays open and usable after the refusal', seen(alice.replyTo, after));
      const exactId = alice.nextId('exact');
      const payload = sized(max, exactId);
      await alice.publish(`tether/v1/sessions/${sid}/submit/${a}`, payload);
      const exact = await alice.waitFor((m) => m.json?.re === exactId, 'reply to the command of exactly maxPayloadBytes').catch(() => undefined);
      t.expect('HOST-LIMIT-2', exact?.json?.type === 'ack', `a command of exactly ${Buffer.byteLength(payload)} bytes (= maxPayloadBytes) is accepted`, seen(alice.replyTo, exact?.json ?? 'no reply'));
    },
  },
  {
    id: 'host.limits.rate',
    profile: 'host',
    covers: ['HOST-LIMIT-3', 'HOST-LIMIT-2', 'HOST-LIMIT-6'],
    description: 'Past a full token bucket (2 x commandsPerSecond) a burst gets RATE_LIMITED with details.retryAfterMs; the connection stays open and a command after retryAfterMs is accepted.',
    exclusive: true,
    timeoutMs: 60000,
    async run(ctx, t) {
      const cps = Number(ctx.limits.commandsPerSecond);
      if (!Number.isInteger(cps) || cps > 5000) t.notTestable(`commandsPerSecond ${ctx.limits.commandsPerSecond} is too high to exceed from one connection in a check`);
      const [a] = ctx.principals(1);
      const alice = await ctx.peer(a, { timeoutMs: 30000 });
      // Let the bucket refill from earlier checks.
      if (!ctx.target.anonymous) await ctx.sleep(2200);
      // Bursts of cps requests until one is refused: the host may process slower than the suite publishes.
      const replies: import('../wire-peer.ts').Received[] = [];
      let sent = 0;
      const started = performance.now();
      while (sent < 10 * cps && !replies.some((m) => m.json?.data?.code === 'RATE_LIMITED')) {
        const ids = Array.from({ length: cps }, (_, i) => `${alice.clientId}-rate-${sent + i}`);
        sent += cps;
        for (const id of ids) alice.client.publish(`tether/v1/requests/${a}`, JSON.stringify({ v: 1, id, type: 'sessions.list', replyTo: alice.replyTo, data: { limit: 1 } }), { qos: 1 });
        replies.push(...(await t.need(`${cps} replies`, () => Promise.all(ids.map((id) => alice.waitFor((m) => m.json?.re === id, `reply ${id}`, 30000))))));
      }
      const took = performance.now() - started;
      const limited = replies.filter((m) => m.json?.data?.code === 'RATE_LIMITED');
      const firstLimited = replies.findIndex((m) => m.json?.data?.code === 'RATE_LIMITED');
      if (!limited.length) t.notTestable(`${sent} requests in ${Math.round(took)} ms were all served: the suite could not outpace a bucket refilled at ${cps}/s`);
      t.expect('HOST-LIMIT-3', limited.every((m) => Number.isFinite(m.json?.data?.details?.retryAfterMs)), `requests beyond the bucket (${sent} in ${Math.round(took)} ms) get RATE_LIMITED with details.retryAfterMs`, seen(alice.replyTo, limited[0]?.json));
      t.expect('HOST-LIMIT-2', firstLimited >= 2 * cps, `no refusal before the bucket of 2 x ${cps} was used up (first at #${firstLimited})`, { payload: excerpt(replies[firstLimited]?.json) });
      const wait = Number(limited[0]?.json?.data?.details?.retryAfterMs ?? 1000);
      await ctx.sleep(Math.min(5000, Math.max(wait, 0)) + 50);
      const again = await alice.request('sessions.list', { limit: 1 }).catch((err: Error) => ({ error: err.message }));
      t.expect('HOST-LIMIT-6', (again as D)?.type === 'sessions.page', 'after retryAfterMs the same connection is served again', seen(alice.replyTo, again));
    },
  },
  {
    id: 'host.limits.sessions',
    profile: 'host',
    covers: ['HOST-LIMIT-5', 'HOST-LIMIT-2'],
    description: 'A principal with maxSessionsPerPrincipal open sessions it created gets LIMIT_EXCEEDED for the next session.create, and may create again after closing one.',
    exclusive: 'shared-principals',
    timeoutMs: 60000,
    async run(ctx, t) {
      const max = Number(ctx.limits.maxSessionsPerPrincipal);
      if (!Number.isInteger(max) || max > 2000) t.notTestable(`maxSessionsPerPrincipal ${ctx.limits.maxSessionsPerPrincipal} is too large to reach in a check`);
      const spare = ctx.sparePrincipal();
      const p = await ctx.peer(spare, { timeoutMs: 20000 });
      const created: string[] = [];
      let refusal: D | undefined;
      for (let i = 0; i < max + 1 && !refusal; i += 100) {
        const batch = Array.from({ length: Math.min(100, max + 1 - i) }, () => ctx.sid());
        const replies = await t.need('session.create', () => Promise.all(batch.map((sid) => p.command(sid, 'session.create', { title: 'quota' }))));
        replies.forEach((r, k) => (r.type === 'ack' ? created.push(batch[k]) : (refusal ??= r)));
      }
      t.errorCode('HOST-LIMIT-5', refusal, 'LIMIT_EXCEEDED', `session.create beyond maxSessionsPerPrincipal (${max})`, p.replyTo);
      if (ctx.target.anonymous) t.expect('HOST-LIMIT-2', created.length === max, `a fresh principal may create exactly ${max} sessions`, { actual: `${created.length} created` });
      else t.expect('HOST-LIMIT-2', created.length <= max, `no more than ${max} sessions are accepted`, { actual: `${created.length} created` });
      if (created.length) {
        await ctx.ok(p, created[0], 'session.close', {});
        const again = await p.command(ctx.sid(), 'session.create', {});
        t.acked('HOST-LIMIT-5', again, 'session.create after closing one of the open sessions (the limit counts open sessions)', p.replyTo);
      }
    },
  },
]);
