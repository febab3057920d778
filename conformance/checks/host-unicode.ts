/** Host profile: text that is JSON but not Unicode (lone surrogates) [ENV-JSON-3]. */
import { defineChecks } from '../core/check.ts';
import { seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { text } from '../kit/payloads.ts';
import { topics } from '../../protocol/topics.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.envelope.lone-surrogate',
    profile: 'host',
    covers: ['ENV-JSON-3'],
    description:
      'A command whose strings hold a lone surrogate escape ("\\ud83d" without its pair) is refused with BAD_JSON; an escaped surrogate pair is accepted.',
    async run(ctx, t) {
      const [a] = ctx.principals(1);
      const alice = await ctx.peer(a);
      const sid = await ctx.session(alice);
      const submit = topics.submit(sid, a);
      for (const [what, escaped] of [
        ['a lone high surrogate', 'he\\ud83d'],
        ['a lone low surrogate', '\\ude00x'],
      ] as const) {
        const id = alice.nextId();
        await alice.publish(
          submit,
          `{"v":1,"id":"${id}","type":"message.send","replyTo":"${alice.replyTo}","data":{"msgId":"${id}","role":"user","parts":[{"kind":"text","text":"${escaped}"}]}}`,
        );
        const r = await alice.waitFor((m) => m.json?.re === id, `reply to ${what}`);
        t.errorCode('ENV-JSON-3', r.json, 'BAD_JSON', `a text with ${what}`, r.topic);
      }
      const ok = await alice.command(sid, 'message.send', text('\ud83d\ude00 fine'));
      t.expect('ENV-JSON-3', ok?.type === 'ack', 'a text with an escaped surrogate pair (an emoji) is accepted', seen(alice.replyTo, ok));
    },
  },
]);
