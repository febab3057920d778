/** Host profile: agent inboxes, doorbells and verbs [INBOX-*]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { Probe } from '../core/probe.ts';
import type { HostCheckContext } from '../host/context.ts';
import { text } from '../kit/payloads.ts';
import { isId, topics } from '../../protocol/topics.ts';
import type { ObservedPayload, ObservedReply } from '../kit/observed.ts';
import { pastInstant } from '../kit/waits.ts';
import type { Peer } from '../wire-peer.ts';

type ObservedItem = NonNullable<NonNullable<NonNullable<ObservedReply['data']>['items']>[number]>;

/** Acks every pending item, so that counts start from zero (pool principals collect items across runs). */
async function drain(agent: Peer, t: Probe): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const page = await t.need('inbox.list', () => agent.request('inbox.list', { agentId: agent.principal, limit: 500 }));
    if (page.type !== 'inbox.page') t.notTestable(`inbox.list was refused: ${excerpt(page)}`);
    const ids = (page.data?.items ?? []).map((i) => i.itemId);
    if (!ids.length) return;
    for (let i = 0; i < ids.length; i += 100)
      await agent.request('inbox.ack', { agentId: agent.principal, itemIds: ids.slice(i, i + 100) });
  }
}

async function items(agent: Peer, sid: string): Promise<{ page: ObservedReply; mine: ObservedItem[] }> {
  const page = await agent.request('inbox.list', { agentId: agent.principal, limit: 500 });
  return { page, mine: (page?.data?.items ?? []).filter((i) => i.sid === sid) };
}

async function bell(ctx: HostCheckContext, agent: Peer, pending: unknown): Promise<ObservedPayload | undefined> {
  const topic = topics.inbox(agent.principal);
  const fresh = await ctx.peer(agent.principal);
  await ctx.subscribe(fresh, topic);
  try {
    return (await fresh.waitFor((m) => m.topic === topic && m.json?.pending === pending, `doorbell with pending ${pending}`, 2000)).json;
  } catch {
    return fresh.on(topic).at(-1)?.json;
  } finally {
    await fresh.close();
  }
}

export default defineChecks<HostCheckContext>([
  {
    id: 'host.inbox.items',
    profile: 'host',
    covers: ['INBOX-ITEM-1', 'INBOX-ITEM-2', 'INBOX-ITEM-3', 'HOST-INBOX-3', 'HOST-INBOX-4'],
    description:
      'Each event creates exactly the inbox items of the item table (never for its sender), with unique itemIds; inbox.list returns them oldest first without changing them; the doorbell shows the pending count.',
    exclusive: 'shared-principals',
    async run(ctx, t) {
      const [a, b1, b2, b3] = ctx.principals(4);
      const alice = await ctx.peer(a);
      const bot = await ctx.peer(b1);
      const bot2 = await ctx.peer(b2);
      const bot3 = await ctx.peer(b3);
      for (const p of [bot, bot2, bot3]) await drain(p, t);
      const sid = await ctx.session(alice, [
        { principal: b1, role: 'agent' },
        { principal: b2, role: 'agent' },
      ]);
      const m1 = await ctx.ok(alice, sid, 'message.send', text('hello agents'));
      const m2 = await ctx.ok(bot, sid, 'message.send', text('hello from bot', 'hello from bot', 'agent'));
      await ctx.ok(bot, sid, 'message.start', { msgId: 's1', role: 'agent' });
      await ctx.ok(bot, sid, 'message.delta', { msgId: 's1', i: 0, text: 'streamed' });
      await ctx.ok(bot, sid, 'message.complete', { msgId: 's1' });
      await ctx.ok(bot, sid, 'run.start', { runId: 'r1' });
      const st = await ctx.ok(alice, sid, 'steer', { runId: 'r1', text: 'hint' });
      const cx = await ctx.ok(alice, sid, 'run.cancel', { runId: 'r1' });
      await ctx.ok(bot, sid, 'input.request', { requestId: 'q1', prompt: 'ok?' });
      const res = await ctx.ok(alice, sid, 'input.answer', { requestId: 'q1', value: true });
      const joined = await ctx.ok(alice, sid, 'participant.add', { principal: b3, role: 'agent' });
      const expected: Record<string, [number, string][]> = {
        [b1]: [
          [1, 'session.assigned'],
          [m1, 'message'],
          [st, 'steer'],
          [cx, 'run.cancel_requested'],
          [res, 'input.resolved'],
        ],
        [b2]: [
          [1, 'session.assigned'],
          [m1, 'message'],
          [m2, 'message'],
          [st, 'steer'],
          [cx, 'run.cancel_requested'],
          [res, 'input.resolved'],
        ],
        [b3]: [[joined, 'session.assigned']],
      };
      for (const p of [bot, bot2, bot3]) {
        const first = await items(p, sid);
        const got = first.mine.map((i) => [i.seq, i.kind]);
        t.equal(
          'INBOX-ITEM-1',
          got,
          expected[p.principal],
          `${p.principal} has exactly the items of the item table for this session, oldest first`,
          seen(p.replyTo, first.mine),
        );
        t.expect(
          'INBOX-ITEM-3',
          !first.mine.some((i) => i.seq === m2 && p === bot),
          `${p.principal} has no item for an event it sent`,
          seen(p.replyTo, first.mine),
        );
        const ids = (first.page?.data?.items ?? []).map((i) => i.itemId);
        t.expect(
          'INBOX-ITEM-2',
          ids.every((x) => isId(x)) && new Set(ids).size === ids.length,
          'itemIds are from the ID alphabet and unique within the inbox',
          seen(p.replyTo, ids),
        );
        const again = await items(p, sid);
        t.equal(
          'HOST-INBOX-4',
          again.mine,
          first.mine,
          'a second inbox.list returns the same items (listing changes nothing)',
          seen(p.replyTo, again.mine),
        );
        const times = first.mine.map((i) => Date.parse(String(i.createdAt)));
        t.expect(
          'HOST-INBOX-4',
          first.mine.every((i, k) => k === 0 || (Number(i.seq) >= Number(first.mine[k - 1]?.seq) && times[k] >= times[k - 1])),
          'items are listed oldest first',
          seen(p.replyTo, first.mine),
        );
        const pending = first.page?.data?.pending;
        const b = await bell(ctx, p, pending);
        t.expect(
          'HOST-INBOX-3',
          b?.pending === pending && b?.agentId === p.principal,
          `the retained doorbell of ${p.principal} shows its pending count ${pending}`,
          seen(topics.inbox(p.principal), b ?? 'no doorbell'),
        );
      }
    },
  },
  {
    id: 'host.inbox.agent-owner',
    profile: 'host',
    covers: ['INBOX-ITEM-4'],
    description:
      'A principal with an agent card gets inbox items in a session it created (as owner), like a participant with role agent; a principal without a card in the same role gets none.',
    exclusive: 'shared-principals',
    async run(ctx, t) {
      const [a, b1, b2] = ctx.principals(3);
      const alice = await ctx.peer(a);
      const bot = await ctx.peer(b1);
      const plain = await ctx.peer(b2);
      for (const p of [bot, plain]) await drain(p, t);
      const cardTopic = topics.agentState(b1);
      const card = {
        name: 'conformance agent',
        skills: [],
        capabilities: { streaming: false, inputRequests: false, steering: false, cancel: false },
      };
      await bot.publish(
        cardTopic,
        { v: 1, agentId: b1, status: 'online', epoch: Date.now(), time: new Date().toISOString(), card },
        { retain: true },
      );
      try {
        const own = await ctx.session(bot, [{ principal: a, role: 'member' }]);
        const other = await ctx.session(plain, [{ principal: a, role: 'member' }]);
        const m1 = await ctx.ok(alice, own, 'message.send', text('for the agent that created this session'));
        await ctx.ok(alice, other, 'message.send', text('for a person who created this session'));
        const mine = await items(bot, own);
        t.equal(
          'INBOX-ITEM-4',
          mine.mine.map((i) => [i.seq, i.kind]),
          [[m1, 'message']],
          "the agent that owns the session has an item for the person's message",
          seen(bot.replyTo, mine.mine),
        );
        const theirs = await items(plain, other);
        t.equal(
          'INBOX-ITEM-4',
          theirs.mine.length,
          0,
          'a principal without an agent card gets no item as owner',
          seen(plain.replyTo, theirs.mine),
        );
      } finally {
        await bot.publish(cardTopic, '', { retain: true });
      }
    },
  },
  {
    id: 'host.inbox.verbs',
    profile: 'host',
    covers: ['HOST-INBOX-1', 'HOST-INBOX-4', 'HOST-INBOX-2', 'HOST-INBOX-5', 'HOST-INBOX-3'],
    description:
      "Inbox verbs are the agent's own, refuse unknown item ids without changing anything, count only changed items, and deferred items come back (with a doorbell) when their time comes.",
    exclusive: 'shared-principals',
    timeoutMs: 20000,
    async run(ctx, t) {
      const [a, b1, b2] = ctx.principals(3);
      const alice = await ctx.peer(a);
      const bot = await ctx.peer(b1);
      const other = await ctx.peer(b2);
      await drain(bot, t);
      t.errorCode(
        'HOST-INBOX-1',
        await other.request('inbox.list', { agentId: b1 }),
        'FORBIDDEN',
        "inbox.list of another agent's inbox",
        other.replyTo,
      );
      t.errorCode(
        'HOST-INBOX-1',
        await alice.request('inbox.ack', { agentId: b1, itemIds: ['x'] }),
        'FORBIDDEN',
        "inbox.ack in another agent's inbox",
        alice.replyTo,
      );
      const sid = await ctx.session(alice, [{ principal: b1, role: 'agent' }]);
      for (let i = 0; i < 3; i++) await ctx.ok(alice, sid, 'message.send', text(`job ${i}`));
      const { mine } = await items(bot, sid);
      if (mine.length < 4) t.notTestable(`expected 4 inbox items for the session, got ${mine.length}: ${excerpt(mine)}`);
      const [i0, i1, i2, i3] = mine.map((i) => i.itemId as string);
      const unknown = `never-${sid.slice(-8)}`;
      const bad = await bot.request('inbox.ack', { agentId: b1, itemIds: [i0, unknown] });
      t.errorCode('HOST-INBOX-2', bad, 'INBOX_ITEM_NOT_FOUND', 'inbox.ack naming an item id the inbox never had', bot.replyTo);
      t.equal(
        'HOST-INBOX-2',
        (bad?.data?.details as { itemIds?: unknown } | undefined)?.itemIds,
        [unknown],
        'the error lists the unknown ids in details.itemIds',
        seen(bot.replyTo, bad),
      );
      const still = await items(bot, sid);
      t.expect(
        'HOST-INBOX-2',
        still.mine.some((i) => i.itemId === i0),
        'the known item named with the unknown one is still pending',
        seen(bot.replyTo, still.mine),
      );
      const ack = await bot.request('inbox.ack', { agentId: b1, itemIds: [i0] });
      t.equal('HOST-INBOX-5', ack?.data, { affected: 1 }, 'inbox.ack of a pending item affects 1', seen(bot.replyTo, ack));
      const ack2 = await bot.request('inbox.ack', { agentId: b1, itemIds: [i0] });
      t.expect(
        'HOST-INBOX-5',
        ack2?.type === 'ok' && ack2.data?.affected === 0,
        'repeating inbox.ack on an acked item succeeds with affected 0',
        seen(bot.replyTo, ack2),
      );
      const arch = await bot.request('inbox.archive', { agentId: b1, itemIds: [i1], reason: 'not for me' });
      t.equal('HOST-INBOX-5', arch?.data, { affected: 1 }, 'inbox.archive of a pending item affects 1', seen(bot.replyTo, arch));
      const arch2 = await bot.request('inbox.archive', { agentId: b1, itemIds: [i1, i0], reason: 'again' });
      t.expect(
        'HOST-INBOX-5',
        arch2?.type === 'ok' && arch2.data?.affected === 0,
        'archiving items already acked or archived succeeds with affected 0',
        seen(bot.replyTo, arch2),
      );
      const until = new Date(Date.now() + 1200).toISOString();
      const def = await bot.request('inbox.defer', { agentId: b1, itemIds: [i2], until });
      t.equal('HOST-INBOX-5', def?.data, { affected: 1 }, 'inbox.defer of a pending item affects 1', seen(bot.replyTo, def));
      const during = await items(bot, sid);
      t.equal(
        'HOST-INBOX-4',
        during.mine.map((i) => i.itemId),
        [i3],
        'while deferred, the item is not listed; acked and archived items are gone',
        seen(bot.replyTo, during.mine),
      );
      const pendingDuring = during.page?.data?.pending as number;
      const b1bell = await bell(ctx, bot, pendingDuring);
      t.expect(
        'HOST-INBOX-3',
        b1bell?.pending === pendingDuring,
        `the doorbell shows ${pendingDuring} pending while the item is deferred`,
        seen(topics.inbox(b1), b1bell),
      );
      await pastInstant(Date.parse(until), 300);
      const b2bell = await bell(ctx, bot, pendingDuring + 1);
      t.expect(
        'HOST-INBOX-3',
        b2bell?.pending === pendingDuring + 1,
        'when the deferral expires the doorbell is republished with the item pending again',
        seen(topics.inbox(b1), b2bell),
      );
      const back = await items(bot, sid);
      t.equal(
        'HOST-INBOX-4',
        back.mine.map((i) => i.itemId),
        [i2, i3],
        'the deferred item is listed again, oldest first',
        seen(bot.replyTo, back.mine),
      );
    },
  },
]);
