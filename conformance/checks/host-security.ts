/** Host profile (deployment: host and broker): topic ACL, verb authorisation and limits [SEC-*, HOST-AUTHZ-*, HOST-LIMIT-*, ROLE-HOST-2]. */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import { text, type HostCheckContext } from '../host/context.ts';
import { hostPortOf } from '../harness/tcp-proxy.ts';
import { connectPacket } from '../harness/silent-session.ts';
import net from 'node:net';
import type { WirePeer } from '../wire-peer.ts';

type D = Record<string, any>;

/** Waits for a publish or close that a broker may never acknowledge (it may drop the connection of a refused publish). */
const settle = (p: Promise<unknown>, ms = 300) => Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, ms))]);

export default defineChecks<HostCheckContext>([
  {
    id: 'host.acl.publish',
    profile: 'host',
    covers: ['SEC-ACL-1', 'ROLE-HOST-2', 'LIVE-PRESENCE-3', 'SEC-HOST-1'],
    description:
      "A participant's publishes on host-only topics, on another principal's submit topic or on presence of a session it is not in reach nobody and append nothing.",
    async run(ctx, t) {
      const [a, b, _c] = ctx.principals(3);
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
        [
          'host state',
          `tether/v1/host/${ctx.hostId}/state`,
          { v: 1, hostId: ctx.hostId, status: 'offline', epoch: 1, software: mark },
          true,
        ],
        [
          'presence as another principal',
          `tether/v1/sessions/${sid}/presence/${a}/forged`,
          { v: 1, status: 'online', epoch: 1, time: now, note: mark },
          true,
        ],
        [
          'presence in a session it is not in',
          `tether/v1/sessions/${other}/presence/${b}/dev`,
          { v: 1, status: 'online', epoch: 1, time: now, note: mark },
          true,
        ],
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
      await settle(
        bob.publish(`tether/v1/sessions/${sid}/submit/${a}`, { v: 1, id: impostorId, type: 'message.send', data: text('as alice') }),
      );
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
        t.expect(
          id,
          leaked.length === 0,
          `a participant's publish on the ${what} topic reaches nobody`,
          leaked[0] ? seen(leaked[0].topic, leaked[0].json ?? leaked[0].payload.toString()) : { topic },
        );
        if (!what.startsWith('presence'))
          t.expect(
            'ROLE-HOST-2',
            leaked.length === 0,
            `only the host publishes on the ${what} topic`,
            leaked[0] ? seen(leaked[0].topic, leaked[0].json) : { topic },
          );
      }
      // A connection claiming the usual host user name without its credentials gets no host rights.
      const claimed = mqtt.connect(ctx.target.opts.url, {
        ...ctx.target.opts.mqtt,
        clientId: `claim-${randomBytes(3).toString('hex')}`,
        username: 'tether-host',
        password: 'not-the-secret',
        reconnectPeriod: 0,
        connectTimeout: 4000,
      });
      const claimedOk = await new Promise<boolean>(
        (resolve) => (
          claimed.once('connect', () => resolve(true)),
          claimed.once('error', () => resolve(false)),
          claimed.once('close', () => resolve(false))
        ),
      );
      if (claimedOk)
        claimed.publish(
          `tether/v1/sessions/${sid}/events`,
          JSON.stringify({ ...forgedEvent, events: [{ ...forgedEvent.events[0], seq: 98, data: text('claimed', `${mark}-claimed`) }] }),
          { qos: 1 },
        );
      await ctx.sleep(300);
      claimed.end(true);
      const hostLeak = alice.log.filter((m) => m.payload.toString().includes(`${mark}-claimed`));
      t.expect(
        'SEC-HOST-1',
        hostLeak.length === 0,
        `a connection with user name tether-host and a wrong password gets no host rights (${claimedOk ? 'it connected, but its publish on the events topic reached nobody' : 'it was refused'})`,
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
        log.every((e) => e.seq <= sentinel),
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
        t.expect('SEC-ACL-6', granted === 128, `a non-participant's subscription to ${f} is refused (SUBACK 0x80)`, {
          topic: f,
          actual: `granted QoS ${granted}`,
        });
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
      const foreign = (topic: string) =>
        topic.includes(sid) ||
        topic.includes(sid2) ||
        topic.startsWith(`tether/v1/users/${b}/`) ||
        topic.startsWith(`tether/v1/replies/${b}/`) ||
        topic.startsWith(`tether/v1/users/${a}/`) ||
        topic.startsWith(`tether/v1/replies/${a}/`);
      const leaked = erin.log.filter((m) => foreign(m.topic));
      t.expect(
        'SEC-ACL-2',
        leaked.length === 0,
        "no message of the session, nor of another principal's index, notify or reply topics, reaches the non-participant",
        leaked[0] ? seen(leaked[0].topic, leaked[0].json ?? leaked[0].payload.toString()) : undefined,
      );
    },
  },
  {
    id: 'host.verbs.matrix',
    profile: 'host',
    covers: ['HOST-AUTHZ-1', 'HOST-AUTHZ-2', 'HOST-AUTHZ-3'],
    description:
      "The host refuses commands the sender's role does not allow (FORBIDDEN) and commands and history requests from non-participants (NOT_PARTICIPANT).",
    async run(ctx, t) {
      const [o, m, ap, v, ag, out] = ctx.principals(6);
      const owner = await ctx.peer(o);
      const sid = await ctx.session(owner, [
        { principal: m, role: 'member' },
        { principal: ap, role: 'approver' },
        { principal: v, role: 'viewer' },
        { principal: ag, role: 'agent' },
      ]);
      const peers: Record<string, WirePeer> = {
        owner,
        member: await ctx.peer(m),
        approver: await ctx.peer(ap),
        viewer: await ctx.peer(v),
        agent: await ctx.peer(ag),
        outsider: await ctx.peer(out),
      };
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
        approver: [
          'session.close',
          'participant.add',
          'participant.remove',
          'message.send',
          'message.start',
          'run.start',
          'run.cancel',
          'steer',
          'steer.apply',
          'input.request',
        ],
        viewer: Object.keys(cmd),
        agent: ['session.close', 'participant.add', 'participant.remove', 'run.cancel', 'steer', 'input.answer'],
      };
      for (const [role, types] of Object.entries(forbidden)) {
        for (const type of types) {
          const r = await peers[role].command(sid, type, cmd[type]);
          t.errorCode('HOST-AUTHZ-1', r, 'FORBIDDEN', `${type} from a participant with role ${role}`, peers[role].replyTo);
        }
      }
      t.errorCode(
        'HOST-AUTHZ-3',
        await peers.viewer.command(sid, 'message.send', text('y')),
        'FORBIDDEN',
        "a viewer's message.send published on its own (ACL-allowed) submit topic",
      );
      for (const type of ['message.send', 'session.close', 'input.answer']) {
        t.errorCode(
          'HOST-AUTHZ-2',
          await peers.outsider.command(sid, type, cmd[type]),
          'NOT_PARTICIPANT',
          `${type} from a non-participant`,
          peers.outsider.replyTo,
        );
      }
      t.errorCode(
        'HOST-AUTHZ-2',
        await peers.outsider.request('history.get', { sid }),
        'NOT_PARTICIPANT',
        'history.get from a non-participant',
        peers.outsider.replyTo,
      );
      const hist = await peers.viewer.request('history.get', { sid });
      t.expect('HOST-AUTHZ-1', hist?.type === 'history.page', 'history.get from a viewer is answered', seen(peers.viewer.replyTo, hist));
      t.acked(
        'HOST-AUTHZ-1',
        await peers.member.command(sid, 'message.send', text('member says')),
        'message.send from a member',
        peers.member.replyTo,
      );
      t.acked(
        'HOST-AUTHZ-1',
        await peers.agent.command(sid, 'steer.apply', { steerSeq }),
        'steer.apply from an agent',
        peers.agent.replyTo,
      );
    },
  },
  {
    id: 'host.limits.payload',
    profile: 'host',
    covers: ['HOST-LIMIT-1', 'HOST-LIMIT-2', 'HOST-LIMIT-6', 'HOST-REPLY-2'],
    description:
      'A command larger than maxPayloadBytes gets PAYLOAD_TOO_LARGE and the connection stays usable; one of exactly maxPayloadBytes is not refused for its size.',
    async run(ctx, t) {
      const max = Number(ctx.limits.maxPayloadBytes);
      if (!Number.isInteger(max) || max > 4 * 1024 * 1024)
        t.notTestable(`maxPayloadBytes ${ctx.limits.maxPayloadBytes} is too large to exceed in a check`);
      const [a] = ctx.principals(1);
      const alice = await ctx.peer(a, { timeoutMs: 10000 });
      const sid = await ctx.session(alice);
      const sized = (bytes: number, id: string) => {
        const base = {
          v: 1,
          id,
          type: 'message.send',
          replyTo: alice.replyTo,
          data: { msgId: id.slice(-20), role: 'user', parts: [{ kind: 'text', text: '' }] },
        };
        const fill = bytes - Buffer.byteLength(JSON.stringify(base));
        base.data.parts[0].text = 'x'.repeat(Math.max(0, fill));
        return JSON.stringify(base);
      };
      const bigId = alice.nextId('big');
      await alice.publish(`tether/v1/sessions/${sid}/submit/${a}`, sized(max + 1000, bigId));
      const big = await alice.waitFor((m) => m.json?.re === bigId, 'reply to the oversized command').catch(() => undefined);
      t.errorCode(
        'HOST-LIMIT-1',
        big?.json,
        'PAYLOAD_TOO_LARGE',
        `a command of ${max + 1000} bytes (maxPayloadBytes ${max})`,
        alice.replyTo,
      );
      t.expect(
        'HOST-REPLY-2',
        big?.json?.data?.code === 'PAYLOAD_TOO_LARGE',
        'the oversized command with a readable replyTo gets a PAYLOAD_TOO_LARGE reply',
        seen(alice.replyTo, big?.json ?? 'no reply'),
      );
      const after = await alice.command(sid, 'message.send', text('still here')).catch((err: Error) => ({ error: err.message }));
      t.expect(
        'HOST-LIMIT-6',
        (after as D)?.type === 'ack',
        'the connection stays open and usable after the refusal',
        seen(alice.replyTo, after),
      );
      const exactId = alice.nextId('exact');
      const payload = sized(max, exactId);
      await alice.publish(`tether/v1/sessions/${sid}/submit/${a}`, payload);
      const exact = await alice
        .waitFor((m) => m.json?.re === exactId, 'reply to the command of exactly maxPayloadBytes')
        .catch(() => undefined);
      t.expect(
        'HOST-LIMIT-2',
        exact?.json?.type === 'ack',
        `a command of exactly ${Buffer.byteLength(payload)} bytes (= maxPayloadBytes) is accepted`,
        seen(alice.replyTo, exact?.json ?? 'no reply'),
      );
    },
  },
  {
    id: 'host.limits.rate',
    profile: 'host',
    covers: ['HOST-LIMIT-3', 'HOST-LIMIT-2', 'HOST-LIMIT-6'],
    description:
      'Past a full token bucket (2 x commandsPerSecond) a burst gets RATE_LIMITED with details.retryAfterMs; the connection stays open and a command after retryAfterMs is accepted.',
    exclusive: true,
    timeoutMs: 60000,
    async run(ctx, t) {
      const cps = Number(ctx.limits.commandsPerSecond);
      if (!Number.isInteger(cps) || cps > 5000)
        t.notTestable(`commandsPerSecond ${ctx.limits.commandsPerSecond} is too high to exceed from one connection in a check`);
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
        for (const id of ids)
          alice.client.publish(
            `tether/v1/requests/${a}`,
            JSON.stringify({ v: 1, id, type: 'sessions.list', replyTo: alice.replyTo, data: { limit: 1 } }),
            { qos: 1 },
          );
        replies.push(
          ...(await t.need(`${cps} replies`, () =>
            Promise.all(ids.map((id) => alice.waitFor((m) => m.json?.re === id, `reply ${id}`, 30000))),
          )),
        );
      }
      const took = performance.now() - started;
      const limited = replies.filter((m) => m.json?.data?.code === 'RATE_LIMITED');
      const firstLimited = replies.findIndex((m) => m.json?.data?.code === 'RATE_LIMITED');
      if (!limited.length)
        t.notTestable(
          `${sent} requests in ${Math.round(took)} ms were all served: the suite could not outpace a bucket refilled at ${cps}/s`,
        );
      t.expect(
        'HOST-LIMIT-3',
        limited.every((m) => Number.isFinite(m.json?.data?.details?.retryAfterMs)),
        `requests beyond the bucket (${sent} in ${Math.round(took)} ms) get RATE_LIMITED with details.retryAfterMs`,
        seen(alice.replyTo, limited[0]?.json),
      );
      t.expect(
        'HOST-LIMIT-2',
        firstLimited >= 2 * cps,
        `no refusal before the bucket of 2 x ${cps} was used up (first at #${firstLimited})`,
        { payload: excerpt(replies[firstLimited]?.json) },
      );
      const wait = Number(limited[0]?.json?.data?.details?.retryAfterMs ?? 1000);
      await ctx.sleep(Math.min(5000, Math.max(wait, 0)) + 50);
      const again = await alice.request('sessions.list', { limit: 1 }).catch((err: Error) => ({ error: err.message }));
      t.expect(
        'HOST-LIMIT-6',
        (again as D)?.type === 'sessions.page',
        'after retryAfterMs the same connection is served again',
        seen(alice.replyTo, again),
      );
    },
  },
  {
    id: 'host.limits.sessions',
    profile: 'host',
    covers: ['HOST-LIMIT-5', 'HOST-LIMIT-2'],
    description:
      'A principal with maxSessionsPerPrincipal open sessions it created gets LIMIT_EXCEEDED for the next session.create, and may create again after closing one.',
    exclusive: 'shared-principals',
    timeoutMs: 60000,
    async run(ctx, t) {
      const max = Number(ctx.limits.maxSessionsPerPrincipal);
      if (!Number.isInteger(max) || max > 2000)
        t.notTestable(`maxSessionsPerPrincipal ${ctx.limits.maxSessionsPerPrincipal} is too large to reach in a check`);
      const spare = ctx.sparePrincipal();
      const p = await ctx.peer(spare, { timeoutMs: 20000 });
      const created: string[] = [];
      let refusal: D | undefined;
      const cps = Number(ctx.limits.commandsPerSecond ?? 500);
      const batchSize = Math.max(1, Math.min(100, cps));
      // Creates one session, waiting out RATE_LIMITED refusals (the rate limit is not what this check is about).
      const unlimited = async (sid: string, type: string, data: D): Promise<D> => {
        // Bounded in time, not in attempts: a fast host refuses a burst many times over.
        const until = Date.now() + 20_000;
        for (let _attempt = 0; ; _attempt++) {
          const r = await p.command(sid, type, data);
          if (r.type !== 'error' || r.data?.code !== 'RATE_LIMITED' || Date.now() > until) return r;
          await ctx.sleep(Number(r.data?.details?.retryAfterMs ?? 1000) + 10);
        }
      };
      const create = (sid: string) => unlimited(sid, 'session.create', { title: 'quota' });
      while (created.length < max + 1 && !refusal) {
        const batch = Array.from({ length: Math.min(batchSize, max + 1 - created.length) }, () => ctx.sid());
        const replies = await t.need('session.create', () => Promise.all(batch.map(create)));
        for (const [k, r] of replies.entries()) {
          if (r.type === 'ack') created.push(batch[k]);
          else refusal ??= r;
        }
        if (batchSize < 100) await ctx.sleep(Math.ceil((1000 * batchSize) / cps));
      }
      t.errorCode('HOST-LIMIT-5', refusal, 'LIMIT_EXCEEDED', `session.create beyond maxSessionsPerPrincipal (${max})`, p.replyTo);
      if (ctx.target.anonymous)
        t.expect('HOST-LIMIT-2', created.length === max, `a fresh principal may create exactly ${max} sessions`, {
          actual: `${created.length} created`,
        });
      else
        t.expect('HOST-LIMIT-2', created.length <= max, `no more than ${max} sessions are accepted`, {
          actual: `${created.length} created`,
        });
      if (created.length) {
        await ctx.sleep(Math.ceil((1000 * batchSize) / cps));
        t.acked('HOST-LIMIT-5', await unlimited(created[0], 'session.close', {}), 'session.close of one of the open sessions', p.replyTo);
        const again = await unlimited(ctx.sid(), 'session.create', {});
        t.acked('HOST-LIMIT-5', again, 'session.create after closing one of the open sessions (the limit counts open sessions)', p.replyTo);
      }
    },
  },
  {
    id: 'host.limits.message-size',
    profile: 'host',
    covers: ['HOST-LIMIT-7', 'HOST-LIMIT-8'],
    description:
      'Event batches and replies stay within maxMessageBytes (history pages carry fewer events); a message.complete whose composed message would exceed it is refused with LIMIT_EXCEEDED.',
    timeoutMs: 30000,
    async run(ctx, t) {
      const max = Number(ctx.limits.maxMessageBytes ?? 1048576);
      const payloadMax = Number(ctx.limits.maxPayloadBytes ?? 65536);
      if (max > 4 * 1024 * 1024) t.notTestable(`maxMessageBytes ${max} is too large to exceed in a check`);
      const [a, bot] = ctx.principals(2);
      const alice = await ctx.peer(a, { timeoutMs: 15000 });
      const agent = await ctx.peer(bot, { timeoutMs: 15000 });
      const sid = await ctx.session(alice, [{ principal: bot, role: 'agent' }]);
      await ctx.follow(alice, sid);
      const chunk = Math.min(payloadMax - 1024, 60000);
      const n = Math.ceil((max * 1.3) / chunk);
      const big = 'x'.repeat(chunk);
      await t.need(`${n} large messages`, () =>
        Promise.all(Array.from({ length: n }, (_, i) => alice.command(sid, 'message.send', text(`big${i}`, big)))),
      );
      const page = await alice.request('history.get', { sid, after: 0, compact: false });
      const reply = alice.log.filter((m) => m.topic === alice.replyTo && m.json?.type === 'history.page').at(-1);
      t.expect(
        'HOST-LIMIT-7',
        page?.type === 'history.page' && reply !== undefined && reply.payload.length <= max && page.data.more === true,
        `a history page of ${n} messages of ${chunk} bytes stays within maxMessageBytes (${max}) and says more`,
        { topic: alice.replyTo, actual: `${reply?.payload.length} bytes, more ${page?.data?.more}` },
      );
      const batches = alice.on(`tether/v1/sessions/${sid}/events`);
      const over = batches.filter((b) => b.payload.length > max);
      t.expect('HOST-LIMIT-7', batches.length > 0 && over.length === 0, 'every event batch stays within maxMessageBytes', {
        actual: excerpt(batches.map((b) => b.payload.length)),
      });
      await ctx.ok(agent, sid, 'message.start', { msgId: 'huge', role: 'agent' });
      const sends = Array.from({ length: n }, (_, i) => agent.command(sid, 'message.delta', { msgId: 'huge', i, text: big }));
      await t.need(`${n} large chunks`, () => Promise.all(sends));
      const complete = await agent.command(sid, 'message.complete', { msgId: 'huge' });
      t.expect(
        'HOST-LIMIT-8',
        complete?.type === 'error' && complete.data?.code === 'LIMIT_EXCEEDED' && complete.data?.details?.limit === 'maxMessageBytes',
        'message.complete without parts whose message.completed would exceed maxMessageBytes is refused with LIMIT_EXCEEDED (details.limit maxMessageBytes)',
        seen(agent.replyTo, complete),
      );
      t.acked(
        'HOST-LIMIT-8',
        await agent.command(sid, 'message.complete', { msgId: 'huge', parts: [{ kind: 'text', text: 'summary instead' }] }),
        'the same message completed with short parts',
        agent.replyTo,
      );
    },
  },
  {
    id: 'host.broker.connect',
    profile: 'host',
    covers: ['SEC-AUTH-1', 'SEC-AUTH-2', 'SEC-AUTH-6', 'BROKER-CLIENTID-1'],
    description:
      'The broker refuses user names outside the ID alphabet (CONNACK 4) and failing credentials (4 or 5), lets no user-less observer publish, and accepts client ids of 128 characters.',
    async run(ctx, t) {
      const { host, port } = hostPortOf(ctx.target.opts.url);
      const u = new URL(ctx.target.opts.url);
      const raw = (opts: { clientId: string; username?: string; password?: string }) =>
        new Promise<number>((resolve) => {
          if (u.protocol !== 'mqtt:') return resolve(-2);
          const s = net.connect(port, host, () => s.write(connectPacket({ ...opts, clean: true })));
          const timer = setTimeout(() => (s.destroy(), resolve(-1)), 3000);
          s.on('data', (b: Buffer) => {
            clearTimeout(timer);
            s.destroy();
            resolve(b[0] >> 4 === 2 ? b[3] : -1);
          });
          s.on('error', () => (clearTimeout(timer), resolve(-1)));
          s.on('close', () => (clearTimeout(timer), resolve(-1)));
        });
      if (u.protocol !== 'mqtt:') t.notTestable(`raw CONNECT checks need an mqtt:// URL, not ${u.protocol}`);
      const [a, b] = ctx.principals(2);
      const badName = await raw({ clientId: `cf${randomBytes(4).toString('hex')}`, username: 'not/a principal', password: 'x' });
      t.expect('SEC-AUTH-1', badName === 4, 'a user name outside the ID alphabet is refused with CONNACK 4', {
        actual: `CONNACK ${badName}`,
      });
      if (ctx.target.anonymous) {
        const badName2 = await raw({ clientId: `cf${randomBytes(4).toString('hex')}`, username: 'bad name' });
        t.expect(
          'SEC-AUTH-2',
          badName2 === 4 || badName2 === 5,
          'on a loopback-anonymous listener, a CONNECT that fails authentication (invalid user name) is refused with 4 or 5',
          { actual: `CONNACK ${badName2}` },
        );
        // A loopback observer (no user name) may connect, but publish nowhere.
        const alice = await ctx.peer(a);
        const sid = await ctx.session(alice);
        await ctx.follow(alice, sid);
        const observer = mqtt.connect(ctx.target.opts.url, {
          clientId: `observer-${randomBytes(3).toString('hex')}`,
          reconnectPeriod: 0,
          connectTimeout: 5000,
        });
        await new Promise<void>(
          (resolve) => (
            observer.once('connect', () => resolve()), observer.once('error', () => resolve()), observer.once('close', () => resolve())
          ),
        );
        const id = `observer-${randomBytes(3).toString('hex')}`;
        const mark = `observer-${sid}`;
        observer.publish(
          `tether/v1/sessions/${sid}/submit/${a}`,
          JSON.stringify({ v: 1, id, type: 'message.send', data: text('obs', mark) }),
          { qos: 1 },
        );
        observer.publish(
          `tether/v1/sessions/${sid}/events`,
          JSON.stringify({
            v: 1,
            sid,
            events: [{ v: 1, sid, seq: 50, type: 'message', time: new Date().toISOString(), sender: a, data: text('obs', mark) }],
          }),
          { qos: 1 },
        );
        await ctx.sleep(400);
        observer.end(true);
        const sentinel = await ctx.ok(alice, sid, 'message.send', text('sentinel'));
        await ctx.waitSeq(alice, sid, sentinel);
        const leaked = alice.log.filter((m) => m.payload.toString().includes(mark));
        t.expect(
          'SEC-AUTH-6',
          leaked.length === 0 && sentinel === 2,
          'a connection without user name publishes nothing: no forged event delivered, no command appended',
          leaked[0] ? seen(leaked[0].topic, leaked[0].json) : { actual: `next seq ${sentinel}` },
        );
      } else {
        const wrong = await raw({
          clientId: `cf${randomBytes(4).toString('hex')}`,
          username: a,
          password: `wrong-${randomBytes(4).toString('hex')}`,
        });
        t.expect('SEC-AUTH-2', wrong === 4 || wrong === 5, 'a wrong password is refused with CONNACK 4 or 5', {
          actual: `CONNACK ${wrong}`,
        });
        const none = await raw({ clientId: `cf${randomBytes(4).toString('hex')}` });
        t.expect(
          'SEC-AUTH-1',
          none === 4 || none === 5,
          'a CONNECT without user name is refused on a listener that is not loopback anonymous',
          { actual: `CONNACK ${none}` },
        );
        t.expect('SEC-AUTH-6', none !== 0, 'no user-less connection, so no observer can publish', { actual: `CONNACK ${none}` });
      }
      const longId = `${b}.` + 'a'.repeat(128 - b.length - 1);
      const pw = ctx.target.opts.users?.find((x) => x.name === b)?.password;
      const accepted = await raw({ clientId: longId.slice(0, 128), username: b, password: pw });
      t.expect('BROKER-CLIENTID-1', accepted === 0, 'a client id of 128 characters from the ID alphabet is accepted', {
        actual: `CONNACK ${accepted}`,
      });
    },
  },
  {
    id: 'host.broker.mqtt-features',
    profile: 'host',
    covers: ['ROLE-BROKER-1', 'SEC-ACL-5', 'SEC-ACL-3'],
    description:
      'The broker delivers QoS 0 and 1, keeps retained messages, publishes Wills (within the ACL of their principal) and queues for persistent sessions; a removed participant should stop receiving the session.',
    async run(ctx, t) {
      const [a, b, c] = ctx.principals(3);
      const alice = await ctx.peer(a);
      const sid = await ctx.session(alice, [
        { principal: b, role: 'member' },
        { principal: c, role: 'member' },
      ]);
      await ctx.follow(alice, sid);
      await ctx.subscribe(alice, `tether/v1/sessions/${sid}/presence/+/+`);
      const bob = await ctx.peer(b);
      const now = () => new Date().toISOString();
      await bob.publish(`tether/v1/sessions/${sid}/presence/${b}/q0`, { v: 1, status: 'online', epoch: 1, time: now() }, { qos: 0 });
      await bob.publish(
        `tether/v1/sessions/${sid}/presence/${b}/q1`,
        { v: 1, status: 'online', epoch: 1, time: now() },
        { qos: 1, retain: true },
      );
      const q0 = await alice.waitFor((m) => m.topic.endsWith(`/presence/${b}/q0`), 'a QoS 0 publish', 3000).catch(() => undefined);
      t.expect('ROLE-BROKER-1', q0 !== undefined, 'a QoS 0 publish is delivered', { topic: `tether/v1/sessions/${sid}/presence/${b}/q0` });
      const late = await ctx.peer(a);
      await ctx.subscribe(late, `tether/v1/sessions/${sid}/presence/${b}/q1`);
      const kept = await late.waitFor((m) => m.topic.endsWith(`/presence/${b}/q1`), 'the retained presence', 3000).catch(() => undefined);
      t.expect(
        'ROLE-BROKER-1',
        kept?.json?.status === 'online',
        'a retained QoS 1 message reaches a later subscriber',
        seen(`tether/v1/sessions/${sid}/presence/${b}/q1`, kept?.json ?? 'nothing retained'),
      );
      // Wills: one allowed (own presence), one the ACL forbids (the session's events).
      const proxy = await ctx.proxy();
      const pw = ctx.target.opts.users?.find((x) => x.name === b)?.password;
      const mark = `will-${sid}`;
      const willy = mqtt.connect(proxy.url(ctx.target.opts.url), {
        clientId: `${b}.will${randomBytes(2).toString('hex')}`,
        username: b,
        password: pw,
        reconnectPeriod: 0,
        will: {
          topic: `tether/v1/sessions/${sid}/presence/${b}/will`,
          payload: Buffer.from(JSON.stringify({ v: 1, status: 'offline', epoch: 1, time: now() })),
          qos: 1,
          retain: true,
        },
      });
      const forger = mqtt.connect(proxy.url(ctx.target.opts.url), {
        clientId: `${b}.forge${randomBytes(2).toString('hex')}`,
        username: b,
        password: pw,
        reconnectPeriod: 0,
        will: {
          topic: `tether/v1/sessions/${sid}/events`,
          payload: Buffer.from(
            JSON.stringify({ v: 1, sid, events: [{ v: 1, sid, seq: 77, type: 'message', time: now(), sender: a, data: text('w', mark) }] }),
          ),
          qos: 1,
          retain: false,
        },
      });
      await Promise.all(
        [willy, forger].map(
          (cl) => new Promise<void>((resolve) => (cl.once('connect', () => resolve()), cl.once('error', () => resolve()))),
        ),
      );
      willy.on('error', () => {});
      forger.on('error', () => {});
      proxy.cut();
      const will = await alice.waitFor((m) => m.topic.endsWith(`/presence/${b}/will`), 'the Will', 4000).catch(() => undefined);
      t.expect(
        'ROLE-BROKER-1',
        will?.json?.status === 'offline',
        'the Will of a connection that dropped is published',
        seen(`tether/v1/sessions/${sid}/presence/${b}/will`, will?.json ?? 'no Will'),
      );
      await ctx.sleep(300);
      const forged = alice.log.filter((m) => m.payload.toString().includes(mark));
      t.expect(
        'SEC-ACL-5',
        forged.length === 0,
        'a Will on a topic its principal may not publish on is delivered to nobody',
        forged[0] ? seen(forged[0].topic, forged[0].json) : undefined,
      );
      willy.end(true);
      forger.end(true);
      // Persistent session: carol subscribes with clean session 0, leaves, and gets what was published meanwhile.
      const clientId = `${c}.persist${randomBytes(2).toString('hex')}`;
      const carol = await ctx.peer(c, { clientId, clean: false });
      await ctx.subscribe(carol, `tether/v1/sessions/${sid}/events`);
      await carol.client.endAsync();
      const seq = await ctx.ok(alice, sid, 'message.send', text('while carol was away'));
      const back = await ctx.peer(c, { clientId, clean: false });
      const queued = await back
        .waitFor(
          (m) => m.topic === `tether/v1/sessions/${sid}/events` && (m.json?.events ?? []).some((e: D) => e.seq === seq),
          'the queued event',
          3000,
        )
        .catch(() => undefined);
      t.expect(
        'ROLE-BROKER-1',
        queued !== undefined,
        'a persistent session (clean session 0) gets the QoS 1 messages queued while it was away',
        { topic: `tether/v1/sessions/${sid}/events` },
      );
      // A removed participant's existing subscription should stop delivering.
      await ctx.subscribe(bob, `tether/v1/sessions/${sid}/events`);
      await ctx.ok(alice, sid, 'participant.remove', { principal: b });
      const after = await ctx.ok(alice, sid, 'message.send', text('not for bob any more'));
      await ctx.waitSeq(alice, sid, after);
      await ctx.sleep(300);
      t.expect(
        'SEC-ACL-3',
        !bob.events(sid).some((e) => e.seq === after),
        'after participant.left the removed principal receives no more events of the session',
        { payload: excerpt(bob.events(sid).map((e) => e.seq)) },
      );
    },
  },
  {
    id: 'host.mqtt5.payload-wins',
    profile: 'host',
    covers: ['MQTT-FIVE-2'],
    description:
      "Over an MQTT 5 connection, when the Response Topic property and the payload's replyTo differ, the host replies on the payload's replyTo.",
    feature: 'mqtt5',
    async run(ctx, t) {
      const [a] = ctx.principals(1);
      const alice = await ctx.peer(a);
      const sid = await ctx.session(alice);
      const pw = ctx.target.opts.users?.find((u) => u.name === a)?.password;
      const v5 = mqtt.connect(ctx.target.opts.url, {
        ...ctx.target.opts.mqtt,
        protocolVersion: 5,
        clientId: `${a}.v5${randomBytes(2).toString('hex')}`,
        username: a,
        password: pw,
        reconnectPeriod: 0,
      });
      const ok = await new Promise<boolean>((resolve) => (v5.once('connect', () => resolve(true)), v5.once('error', () => resolve(false))));
      if (!ok) t.notTestable('the host advertises mqtt5 but the broker refused an MQTT 5 connection');
      const other = `tether/v1/replies/${a}/v5-decoy`;
      await ctx.subscribe(alice, `tether/v1/replies/${a}/#`);
      const id = alice.nextId('v5');
      v5.publish(
        `tether/v1/sessions/${sid}/submit/${a}`,
        JSON.stringify({ v: 1, id, type: 'message.send', replyTo: alice.replyTo, data: text('v5') }),
        { qos: 1, properties: { responseTopic: other } },
      );
      const reply = await alice.waitFor((m) => m.json?.re === id, 'the reply', 5000).catch(() => undefined);
      v5.end(true);
      t.expect(
        'MQTT-FIVE-2',
        reply?.topic === alice.replyTo,
        "the reply goes to the payload's replyTo, not to the Response Topic property",
        seen(reply?.topic, reply?.json ?? 'no reply'),
      );
    },
  },
]);
