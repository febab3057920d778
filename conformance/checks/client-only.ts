/** Client profile only: input answers, unknown content parts, presence [INPUT-CLIENT-*, VER-COMPAT-2, LIVE-PRESENCE-*, LIVE-REBIRTH-2]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { ImplCheckContext } from '../impl/context.ts';
import { text } from '../kit/payloads.ts';
import { parseTopic } from '../../protocol/topics.ts';

export default defineChecks<ImplCheckContext>([
  {
    id: 'client.input.answers',
    profile: 'client',
    covers: ['INPUT-CLIENT-1', 'INPUT-CLIENT-2'],
    description:
      'An answer failing the answerSchema should be refused before sending; an accepted answer is shown as the decision only once the input.resolved event arrives.',
    async run(ctx, t) {
      const a = await ctx.connected();
      const alice = await ctx.peer('alice');
      const bot = await ctx.peer('bot');
      const sid = await ctx.session(alice, 'member', [{ principal: bot.principal, role: 'agent' }]);
      await ctx.join(sid);
      const req = await ctx.ok(bot, sid, 'input.request', { requestId: 'q1', prompt: 'Proceed?', answerSchema: { type: 'boolean' } });
      await ctx.delivered(sid, req);
      const before = ctx.commands(sid).length;
      const bad = await a
        .call(
          { op: 'answer', sid, requestId: 'q1', value: 'maybe', ref: 'bad' },
          (e) => (e.event === 'answered' || e.event === 'error') && e.ref === 'bad',
          'an answer to the invalid answer',
          5000,
        )
        .catch(() => undefined);
      const published = ctx
        .commands(sid)
        .slice(before)
        .filter((c) => c.json?.type === 'input.answer');
      t.expect(
        'INPUT-CLIENT-2',
        bad?.event === 'error' && published.length === 0,
        'an answer that fails the answerSchema is refused locally, without publishing it',
        { payload: excerpt({ reply: bad, published: published.map((p) => p.json) }) },
      );
      const releaseResolution = ctx.holdEventsContaining(sid, '"input.resolved"');
      const ok = await t.need('answer', () =>
        a.call(
          { op: 'answer', sid, requestId: 'q1', value: true, ref: 'good' },
          (e) => (e.event === 'answered' || e.event === 'error') && e.ref === 'good',
          'answered',
        ),
      );
      await ctx.sleep(500);
      const early = a.events.filter((e) => e.event === 'resolved' && e.sid === sid);
      t.expect(
        'INPUT-CLIENT-1',
        ok.event === 'answered' && early.length === 0,
        'the ack of the answer is not shown as the decision (no resolved before the input.resolved event arrives)',
        { payload: excerpt(early) },
      );
      await releaseResolution();
      // A client whose history.get was held may need its 10 s resend to get the event.
      const resolved = await a
        .waitFor((e) => e.event === 'resolved' && e.sid === sid && e.requestId === 'q1', 'the decision', 13000)
        .catch(() => undefined);
      t.expect(
        'INPUT-CLIENT-1',
        resolved?.outcome === 'answered' && resolved.value === true,
        'the decision is shown once input.resolved is delivered',
        seen(undefined, resolved ?? 'no resolved event'),
      );
    },
  },
  {
    id: 'client.content.unknown-parts',
    profile: 'client',
    covers: ['VER-COMPAT-2'],
    description:
      'A message with a content part of an unknown kind should still be shown (its known parts, the unknown one as unsupported).',
    async run(ctx, t) {
      const a = await ctx.connected();
      const alice = await ctx.peer('alice');
      const sid = await ctx.session(alice);
      await ctx.join(sid);
      const now = new Date().toISOString();
      const parts = [
        { kind: 'text', text: 'look at this' },
        { kind: 'hologram', uri: 'holo://cube' },
      ];
      await ctx.suite.inject(`tether/v1/sessions/${sid}/events`, {
        v: 1,
        sid,
        events: [
          {
            v: 1,
            sid,
            seq: 2,
            type: 'message',
            time: now,
            sender: alice.principal,
            cid: 'x',
            data: { msgId: 'holo', role: 'user', parts },
          },
        ],
      });
      const content = await a
        .waitFor((e) => e.event === 'content' && e.sid === sid && e.msgId === 'holo', 'the message content', 4000)
        .catch(() => undefined);
      t.expect(
        'VER-COMPAT-2',
        content !== undefined && JSON.stringify(content.parts ?? []).includes('look at this'),
        'the message is shown with its known part, not hidden',
        seen(undefined, content ?? 'no content event'),
      );
    },
  },
  {
    id: 'client.presence',
    profile: 'client',
    covers: ['LIVE-PRESENCE-1', 'LIVE-PRESENCE-2', 'LIVE-REBIRTH-2'],
    description:
      'A client that publishes presence covers it with its Will, publishes offline when it stops, and republishes when a stale state shows up on its presence topic.',
    feature: 'presence',
    async run(ctx, t) {
      const a = await ctx.start();
      if (!(ctx.hello?.features ?? []).includes('presence')) t.skip('the implementation does not advertise the optional feature presence');
      await t.need('connect', () => a.call({ op: 'connect' }, (e) => e.event === 'connected', 'connected'));
      const alice = await ctx.peer('alice');
      const sid = await ctx.session(alice);
      await ctx.join(sid);
      await ctx.ok(alice, sid, 'message.send', text('hi'));
      await ctx.sleep(500);
      const pres = ctx.wire('publish').filter((p) => parseTopic(p.topic!)?.kind === 'presence');
      const online = pres.filter((p) => p.json?.status === 'online');
      const will = ctx.wire('connect').at(-1)?.connect?.will;
      t.expect(
        'LIVE-PRESENCE-1',
        online.every((p) => will?.topic === p.topic),
        'online presence is published only on the topic its Will covers',
        { payload: excerpt({ online: online.map((p) => p.topic), will: will?.topic }) },
      );
      if (online.length) {
        const topic = online.at(-1)!.topic!;
        const epoch = online.at(-1)!.json!.epoch as number;
        const n = pres.length;
        await ctx.suite.inject(topic, { v: 1, status: 'offline', epoch: epoch - 1, time: new Date().toISOString() }, true);
        await ctx.sleep(600);
        const again = ctx
          .wire('publish')
          .filter((p) => p.topic === topic)
          .slice(n);
        t.expect(
          'LIVE-REBIRTH-2',
          again.some((p) => p.json?.status === 'online'),
          'after a stale state on its presence topic it republishes its presence',
          { payload: excerpt(again.map((p) => p.json)) },
        );
      } else {
        t.expect(
          'LIVE-REBIRTH-2',
          false,
          'Not testable: the implementation advertises presence but published none for a joined session',
          {},
        );
      }
      await a.close();
      const off = ctx.wire('publish').filter((p) => parseTopic(p.topic!)?.kind === 'presence' && p.json?.status !== 'online');
      t.expect('LIVE-PRESENCE-2', off.length > 0, 'it publishes offline or away presence when it disconnects cleanly', {
        payload: excerpt(off.map((p) => p.json)),
      });
    },
  },
]);
