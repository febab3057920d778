import t from 'tap';
import { TetherClient } from '../clients/lib/node.ts';
import { retryDelay } from '../clients/lib/command-ledger.ts';
import { startTestTether } from './helpers.ts';

t.test(
  'a burst far over the rate limit is acknowledged in full: RATE_LIMITED is waited out, never given up (CLIENT-RETRY-1)',
  async (t) => {
    const tether = await startTestTether(t, { limits: { commandsPerSecond: 40 } });
    const alice = await TetherClient.connect({ url: tether.mqttUrl, principal: 'alice' });
    t.teardown(() => alice.close());
    const sid = await alice.createSession({ title: 'burst' });
    const s = await alice.join(sid);
    const n = 240;
    const acks = await Promise.all(Array.from({ length: n }, (_, i) => s.send(`m${i}`)));
    t.equal(acks.length, n, `all ${n} commands acknowledged`);
    t.equal(new Set(acks.map((a) => a.seq)).size, n, 'each once');
    t.ok(alice.commandStats.rateLimited > 50, `the host refused many times on the way (${alice.commandStats.rateLimited})`);
  },
);

t.test('the retry delay is at least retryAfterMs, grows with refusals, is spread by jitter and capped', async (t) => {
  t.equal(
    retryDelay(20, 1, () => 0),
    20,
    'never below the host’s retryAfterMs (CLIENT-RETRY-4)',
  );
  t.equal(
    retryDelay(20, 1, () => 1),
    40,
  );
  t.equal(
    retryDelay(20, 4, () => 1),
    20 + 20 * 8,
    'doubles the spread per refusal',
  );
  t.equal(
    retryDelay(1000, 20, () => 1),
    30_000,
    'capped at 30 s',
  );
  const spread = new Set(Array.from({ length: 50 }, () => retryDelay(10, 3)));
  t.ok(spread.size > 10, 'random jitter spreads commands refused together');
});
