import t from 'tap';
import type { EventEnvelope } from '../schemas/src/index.ts';
import { startTether, type Tether } from '../broker/embedded.ts';
import { TetherClient } from '../clients/lib/node.ts';
import { freePort, quietLogger, tempDir } from './helpers.ts';

const DELTAS = 2000;
const backoff = { initialMs: 20, maxMs: 200 };

t.test('a token stream survives two restarts of host and broker on the same port and data directory', async (t) => {
  const dataDir = tempDir(t);
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const start = () =>
    startTether({ mqttPort, httpPort, dataDir, logger: quietLogger(), synchronous: 'NORMAL', limits: { commandsPerSecond: 1_000_000 } });
  let tether: Tether = await start();
  t.teardown(() => tether.close());
  const epochs = [tether.host.epoch];
  const restart = async () => {
    await tether.close();
    tether = await start();
    epochs.push(tether.host.epoch);
  };

  const alice = await TetherClient.connect({ url: tether.mqttUrl, principal: 'alice', device: 'laptop', persistent: true, backoff });
  const bot = await TetherClient.connect({ url: tether.mqttUrl, principal: 'bot', backoff, commandResendMs: 2000 });
  t.teardown(() => Promise.all([alice.close(), bot.close()]));
  const states: string[] = [];
  alice.on('state', (s) => states.push(s));

  const sid = await alice.createSession({ participants: [{ principal: 'bot', role: 'agent' }] });
  const reader = await alice.join(sid, { compact: false });
  const agentSide = await bot.join(sid);

  const seen: EventEnvelope[] = [];
  const reading = (async () => {
    for await (const item of reader) {
      if (item.kind === 'event') seen.push(item.event);
      if (item.kind === 'event' && item.event.type === 'message.completed') return;
    }
  })();

  const writer = agentSide.stream({ msgId: 'answer', windowMs: 0, maxUnacked: 64 });
  const tokens: string[] = [];
  const restarts: Promise<void>[] = [];
  for (let i = 0; i < DELTAS; i++) {
    tokens.push(`t${i} `);
    await writer.write(tokens[i]);
    // The restarts run while the writer keeps writing (it blocks on its window while offline).
    if (i === 600) restarts.push(restart());
    if (i === 1300) restarts.push(Promise.all(restarts).then(restart));
  }
  await Promise.all(restarts);
  const completed = await writer.complete();
  await reading;

  t.equal(epochs.length, 3, 'two restarts');
  t.ok(epochs[2] > epochs[1] && epochs[1] > epochs[0], 'each restart is a new host epoch');
  t.ok(states.filter((s) => s === 'reconnecting').length >= 2, 'the reader saw the connection drop and come back');
  t.equal(completed.seq, DELTAS + 3, 'the log holds every chunk once');
  const log = await tether.store.readEvents(sid, 0, completed.seq, Number.MAX_SAFE_INTEGER);
  t.same(seen, log, 'the sequence the application saw equals the host log exactly');
  t.equal(reader.messages.get('answer')?.text, tokens.join(''), 'no token lost or repeated');
  t.comment(
    `${log.length} events, host epochs ${epochs.join(' -> ')}, reader: ${reader.stats.duplicates} duplicates dropped, ${reader.stats.pages} history pages`,
  );
});
