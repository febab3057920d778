import t from 'tap';
import type { EventEnvelope } from '../schemas/src/index.ts';
import { TetherClient } from '../clients/lib/node.ts';
import { startTestTether } from './helpers.ts';

const CHUNKS = 800;
const JOIN_AT = 300;

t.test('a late joiner gets the partial message first, then the live deltas, with no gap and no repeat', async (t) => {
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 1_000_000 } });
  const [alice, bot, carol, dave] = await Promise.all(
    ['alice', 'bot', 'carol', 'dave'].map((principal) => TetherClient.connect({ url: tether.mqttUrl, principal })),
  );
  t.teardown(() => Promise.all([alice, bot, carol, dave].map((c) => c.close())));
  const sid = await alice.createSession({
    participants: [
      { principal: 'bot', role: 'agent' },
      { principal: 'carol', role: 'member' },
      { principal: 'dave', role: 'viewer' },
    ],
  });
  const agentSide = await bot.join(sid);
  const writer = agentSide.stream({ msgId: 'answer', windowMs: 0, maxUnacked: 32 });
  const tokens = Array.from({ length: CHUNKS }, (_, i) => `w${i} `);

  const carolSeen: EventEnvelope[] = [];
  let carolReading: Promise<void> | undefined;
  for (let i = 0; i < CHUNKS; i++) {
    await writer.write(tokens[i]);
    if (i === JOIN_AT) {
      // The stream goes on while carol catches up: live deltas race her history page.
      const late = await carol.join(sid);
      carolReading = (async () => {
        for await (const item of late) {
          if (item.kind === 'event') carolSeen.push(item.event);
          if (item.kind === 'event' && item.event.type === 'message.completed') return;
        }
      })();
    }
  }
  await writer.complete();
  await carolReading;

  const deltas = carolSeen.filter((e) => e.type === 'message.delta').map((e) => e.data as { i: number; n?: number });
  t.ok(
    (deltas[0].n ?? 1) >= 2 && deltas[0].i === 0,
    `the partial message came first as one merged delta (chunks 0..${(deltas[0].n ?? 1) - 1})`,
  );
  const covered: number[] = deltas.flatMap((d) => Array.from({ length: d.n ?? 1 }, (_, k) => d.i + k));
  t.same(
    covered,
    tokens.map((_, i) => i),
    'every chunk once, in order: no gap, no repeat',
  );
  t.ok(
    deltas.slice(1).every((d) => d.n === undefined),
    'then only live deltas',
  );
  t.same(
    carolSeen.map((e) => e.seq),
    [...carolSeen.map((e) => e.seq)].sort((a, b) => a - b),
    'seqs increase',
  );
  t.equal(carol.session(sid)?.messages.get('answer')?.text, tokens.join(''), 'the folded text equals what the agent wrote');

  // After completion a late joiner gets the completed message alone.
  const latest = await dave.join(sid);
  const daveTypes: string[] = [];
  for await (const item of latest) {
    if (item.kind === 'event') daveTypes.push(item.event.type);
    if (item.kind === 'event' && item.event.type === 'message.completed') break;
  }
  t.same(daveTypes, ['session.created', 'message.completed'], 'completed streams come as their message.completed only');
  t.equal(latest.messages.get('answer')?.text, tokens.join(''));
  t.equal(latest.lastSeq, CHUNKS + 3, 'the compacted page still covers every seq');
});
