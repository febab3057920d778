/** Host profile: the limits a host advertises and enforces [HOST-LIMIT-*, HOST-REPLY-2]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { topics } from '../../protocol/topics.ts';
import type { ObservedReply } from '../kit/observed.ts';
import { text } from '../kit/payloads.ts';
import { backOff, inFlight } from '../kit/waits.ts';
import type { Received } from '../wire-peer.ts';

export default defineChecks<HostCheckContext>([
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
      const { sid, owner: alice } = await ctx.cast({}, { timeoutMs: 10000 });
      const submit = topics.submit(sid, alice.principal);
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
      await alice.publish(submit, sized(max + 1000, bigId));
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
      const after: ObservedReply | { error: string } = await alice
        .command(sid, 'message.send', text('still here'))
        .catch((err: Error) => ({ error: err.message }));
      t.expect(
        'HOST-LIMIT-6',
        'type' in after && after.type === 'ack',
        'the connection stays open and usable after the refusal',
        seen(alice.replyTo, after),
      );
      const exactId = alice.nextId('exact');
      const payload = sized(max, exactId);
      await alice.publish(submit, payload);
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
      const [alice] = await ctx.peers(1, { timeoutMs: 30000 });
      // Let the bucket refill from earlier checks.
      if (!ctx.target.anonymous) await inFlight(2200);
      // Bursts of cps requests until one is refused: the host may process slower than the suite publishes.
      const replies: Received[] = [];
      const limitedReply = (m: Received) => m.json?.data?.code === 'RATE_LIMITED';
      let sent = 0;
      const started = performance.now();
      while (sent < 10 * cps && !replies.some(limitedReply)) {
        const ids = Array.from({ length: cps }, (_, i) => `${alice.clientId}-rate-${sent + i}`);
        sent += cps;
        for (const id of ids) {
          const request = { v: 1, id, type: 'sessions.list', replyTo: alice.replyTo, data: { limit: 1 } };
          alice.client.publish(topics.requests(alice.principal), JSON.stringify(request), { qos: 1 });
        }
        replies.push(
          ...(await t.need(`${cps} replies`, () =>
            Promise.all(ids.map((id) => alice.waitFor((m) => m.json?.re === id, `reply ${id}`, 30000))),
          )),
        );
      }
      const took = performance.now() - started;
      const limited = replies.filter(limitedReply);
      const firstLimited = replies.findIndex(limitedReply);
      if (!limited.length)
        t.notTestable(
          `${sent} requests in ${Math.round(took)} ms were all served: the suite could not outpace a bucket refilled at ${cps}/s`,
        );
      const retryAfter = (m: Received | undefined) => (m?.json?.data?.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
      t.expect(
        'HOST-LIMIT-3',
        limited.every((m) => Number.isFinite(retryAfter(m))),
        `requests beyond the bucket (${sent} in ${Math.round(took)} ms) get RATE_LIMITED with details.retryAfterMs`,
        seen(alice.replyTo, limited[0]?.json),
      );
      t.expect(
        'HOST-LIMIT-2',
        firstLimited >= 2 * cps,
        `no refusal before the bucket of 2 x ${cps} was used up (first at #${firstLimited})`,
        { payload: excerpt(replies[firstLimited]?.json) },
      );
      const wait = Number(retryAfter(limited[0]) ?? 1000);
      await backOff(Math.min(5000, Math.max(wait, 0)) + 50);
      const again: ObservedReply | { error: string } = await alice
        .request('sessions.list', { limit: 1 })
        .catch((err: Error) => ({ error: err.message }));
      t.expect(
        'HOST-LIMIT-6',
        'type' in again && again.type === 'sessions.page',
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
      let refusal: ObservedReply | undefined;
      const cps = Number(ctx.limits.commandsPerSecond ?? 500);
      const batchSize = Math.max(1, Math.min(100, cps));
      const pace = () => backOff(Math.ceil((1000 * batchSize) / cps));
      // Creates one session, waiting out RATE_LIMITED refusals (the rate limit is not what this check is about).
      const unlimited = async (sid: string, type: string, data: object): Promise<ObservedReply> => {
        // Bounded in time, not in attempts: a fast host refuses a burst many times over.
        const until = Date.now() + 20_000;
        for (;;) {
          const r = await p.command(sid, type, data);
          if (r.type !== 'error' || r.data?.code !== 'RATE_LIMITED' || Date.now() > until) return r;
          await backOff(Number((r.data?.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs ?? 1000) + 10);
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
        if (batchSize < 100) await pace();
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
        await pace();
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
      'Event batches and replies stay within maxMessageBytes (history pages carry fewer events); a message.complete whose composed message would exceed it ' +
      'is refused with LIMIT_EXCEEDED.',
    timeoutMs: 30000,
    async run(ctx, t) {
      const max = Number(ctx.limits.maxMessageBytes ?? 1048576);
      const payloadMax = Number(ctx.limits.maxPayloadBytes ?? 65536);
      if (max > 4 * 1024 * 1024) t.notTestable(`maxMessageBytes ${max} is too large to exceed in a check`);
      const { sid, owner: alice, agent } = await ctx.cast({ agent: 'agent' }, { follow: true, timeoutMs: 15000 });
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
        page?.type === 'history.page' && reply !== undefined && reply.payload.length <= max && page.data?.more === true,
        `a history page of ${n} messages of ${chunk} bytes stays within maxMessageBytes (${max}) and says more`,
        { topic: alice.replyTo, actual: `${reply?.payload.length} bytes, more ${page?.data?.more}` },
      );
      const batches = alice.on(topics.events(sid));
      const over = batches.filter((b) => b.payload.length > max);
      t.expect('HOST-LIMIT-7', batches.length > 0 && over.length === 0, 'every event batch stays within maxMessageBytes', {
        actual: excerpt(batches.map((b) => b.payload.length)),
      });
      await ctx.ok(agent, sid, 'message.start', { msgId: 'huge', role: 'agent' });
      const sends = Array.from({ length: n }, (_, i) => agent.command(sid, 'message.delta', { msgId: 'huge', i, text: big }));
      await t.need(`${n} large chunks`, () => Promise.all(sends));
      const complete = await agent.command(sid, 'message.complete', { msgId: 'huge' });
      const limit = (complete?.data?.details as { limit?: unknown } | undefined)?.limit;
      t.expect(
        'HOST-LIMIT-8',
        complete?.type === 'error' && complete.data?.code === 'LIMIT_EXCEEDED' && limit === 'maxMessageBytes',
        'message.complete without parts whose message.completed would exceed maxMessageBytes is refused with LIMIT_EXCEEDED (details.limit maxMessageBytes)',
        seen(agent.replyTo, complete),
      );
      const short = await agent.command(sid, 'message.complete', { msgId: 'huge', parts: [{ kind: 'text', text: 'summary instead' }] });
      t.acked('HOST-LIMIT-8', short, 'the same message completed with short parts', agent.replyTo);
    },
  },
]);
