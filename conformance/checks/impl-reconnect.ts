/** Agent and client profiles: reconnecting by itself after a lost connection, with backoff and jitter [CLIENT-RECONNECT-*]. */
import type { Check } from '../core/check.ts';
import type { ImplCheckContext } from '../impl/context.ts';

type Profile = 'client' | 'agent';

/** Slack for the proxy seeing the cut and the attempt (event loops on a loaded machine). */
const SLACK_MS = 300;

export function reconnectChecks(profile: Profile): Check<ImplCheckContext>[] {
  return [
    {
      id: `${profile}.reconnect.backoff`,
      profile,
      covers: ['CLIENT-RECONNECT-1', 'CLIENT-RECONNECT-2', 'CLIENT-RECONNECT-3', 'CLIENT-RECONNECT-5'],
      description:
        'Cut and refused by the suite, the implementation reconnects by itself, with delays from 100 ms to 2 s at first that grow and are randomised; a connect asked for while connected or reconnecting opens no second connection.',
      async run(ctx, t) {
        const a = await ctx.connected();
        const proxy = ctx.proxy!;
        const waitAccepted = async (n: number, ms: number) => {
          for (let i = 0; i < ms / 50 && proxy.accepted < n; i++) await ctx.sleep(50);
          return proxy.accepted >= n;
        };

        // A second connect while connected joins the connection [CLIENT-RECONNECT-5].
        let before = proxy.accepted;
        await a
          .call({ op: 'connect', ref: 'again' }, (e) => e.event === 'connected' || e.event === 'error', 'connected', 8000)
          .catch(() => {});
        await ctx.sleep(1500);
        const whileConnected = proxy.accepted - before;

        // Cut and refused for 6 s: attempts come by themselves [CLIENT-RECONNECT-1, -2].
        proxy.refuse(true);
        const cutAt = Date.now();
        proxy.cut();
        await ctx.sleep(3000);
        // A connect asked for while reconnecting joins that attempt [CLIENT-RECONNECT-5].
        a.send({ op: 'connect', ref: 'during' });
        await ctx.sleep(3000);
        before = proxy.accepted;
        proxy.refuse(false);
        const attempts = proxy.attempts.filter((at) => at >= cutAt);
        const back = await waitAccepted(before + 1, 20_000);
        await ctx.sleep(1500);
        const afterRefusal = proxy.accepted - before;
        const gaps = attempts.map((at, i) => at - (i === 0 ? cutAt : attempts[i - 1]));

        t.expect(
          'CLIENT-RECONNECT-1',
          attempts.length > 0 && back,
          'after a cut it tries to reconnect by itself, and connects once the broker answers again',
          {
            actual: `${attempts.length} attempt(s) in 6 s; ${back ? 'connected' : 'not connected'} within 20 s of the end of the refusal`,
          },
        );
        const first = gaps[0];
        const tooFast = gaps.filter((g) => g < 100 - 20);
        const grows = gaps.length < 4 || Math.max(...gaps) >= 2 * Math.min(...gaps);
        t.expect(
          'CLIENT-RECONNECT-2',
          first !== undefined && first >= 100 - 20 && first <= 2000 + SLACK_MS && tooFast.length === 0 && attempts.length <= 20 && grows,
          'the first attempt comes 100 ms to 2 s after the loss, no two attempts closer than 100 ms, and the delays grow',
          { actual: `delays ${gaps.join(', ')} ms` },
        );
        t.expect(
          'CLIENT-RECONNECT-5',
          whileConnected === 0 && afterRefusal === 1,
          'a connect while connected or reconnecting opens no second connection',
          { actual: `${whileConnected} new connection(s) after a connect while connected; ${afterRefusal} once the refusal ended` },
        );

        // Five losses in a row: the first delays differ (randomised) [CLIENT-RECONNECT-3].
        const firsts: number[] = [];
        for (let i = 0; i < 5; i++) {
          proxy.refuse(true);
          const at = Date.now();
          const n = proxy.attempts.length;
          proxy.cut();
          for (let j = 0; j < 250 && proxy.attempts.length === n; j++) await ctx.sleep(10);
          if (proxy.attempts.length > n) firsts.push(proxy.attempts[n] - at);
          const accepted = proxy.accepted;
          proxy.refuse(false);
          if (!(await waitAccepted(accepted + 1, 20_000))) break;
          // Online again (subscriptions granted), so that the backoff starts over [CLIENT-RECONNECT-4].
          await ctx.sleep(700);
        }
        const spread = firsts.length ? Math.max(...firsts) - Math.min(...firsts) : 0;
        const mean = firsts.reduce((s, d) => s + d, 0) / Math.max(1, firsts.length);
        t.expect(
          'CLIENT-RECONNECT-3',
          firsts.length === 5 && spread >= Math.max(15, 0.05 * mean),
          'the first reconnect delays after five losses differ (randomised, not a fixed period)',
          { actual: `first delays ${firsts.join(', ')} ms` },
        );
      },
    },
  ];
}
