import t from 'tap';
import net from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import type { EventEnvelope } from '../schemas/src/index.ts';
import { SessionHost } from '../host/host.ts';
import { SqliteStore } from '../host/store/sqlite.ts';
import { TetherClient } from '../clients/lib/node.ts';
import { quietLogger, tempDir } from './helpers.ts';

const DELTAS = 1500;

t.test('a token stream survives a restart of the host alone while the broker keeps running', async (t) => {
  const broker = await Aedes.createBroker();
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    broker.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const store = new SqliteStore(join(tempDir(t), 'tether.db'), { synchronous: 'NORMAL' });
  const newHost = () => new SessionHost({ brokerUrl: url, store, logger: quietLogger(), limits: { commandsPerSecond: 1_000_000 } });
  let host = newHost();
  await host.start();
  t.teardown(async () => {
    await host.stop();
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
  });

  const backoff = { initialMs: 20, maxMs: 200 };
  const alice = await TetherClient.connect({ url, principal: 'alice', device: 'laptop', persistent: true, backoff });
  const bot = await TetherClient.connect({ url, principal: 'bot', backoff, commandResendMs: 1000 });
  t.teardown(() => Promise.all([alice.close(), bot.close()]));
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
  let restarted: Promise<void> | undefined;
  const epochs = [host.epoch];
  for (let i = 0; i < DELTAS; i++) {
    tokens.push(`t${i} `);
    await writer.write(tokens[i]);
    if (i === 700) {
      // The host goes away mid-stream; commands queue in the broker (persistent session) meanwhile.
      restarted = host.stop().then(async () => {
        host = newHost();
        await host.start();
        epochs.push(host.epoch);
      });
    }
  }
  await restarted;
  const completed = await writer.complete();
  await reading;
  t.ok(epochs[1] > epochs[0], `the new host has a higher epoch (${epochs.join(' -> ')})`);
  t.equal(completed.seq, DELTAS + 3, 'every chunk is in the log once');
  const log = await store.readEvents(sid, 0, completed.seq, Number.MAX_SAFE_INTEGER);
  t.same(seen, log, 'the sequence the application saw equals the host log exactly');
  t.equal(reader.messages.get('answer')?.text, tokens.join(''), 'no token lost or repeated');
});
