import t from 'tap';
import net from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { SessionHost } from '../host/host.ts';
import { SqliteStore } from '../host/store/sqlite.ts';
import { freePort, peer, quietLogger, startTestTether, tempDir } from './helpers.ts';
import { topics } from '../protocol/topics.ts';

async function plainBroker(port: number) {
  const broker = await Aedes.createBroker();
  const server = net.createServer((s) => broker.handle(s));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    async close() {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

t.test('a stale state on the host topic is answered with a new birth', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  await alice.subscribe(topics.hostState('main'));
  await alice.waitFor((m) => m.json?.status === 'online' && m.json?.epoch === 1, 'birth');
  // What Aedes does on a client-id takeover: publish the old connection's Will after the new birth.
  const stale = JSON.stringify({
    v: 1,
    hostId: 'main',
    status: 'offline',
    epoch: 0,
    protocol: '1.0',
    features: [],
    limits: tether.host.limits,
    time: new Date().toISOString(),
  });
  const since = alice.log.length;
  await new Promise<void>((r) =>
    tether.broker.publish(
      { cmd: 'publish', topic: topics.hostState('main'), payload: Buffer.from(stale), qos: 1, retain: true, dup: false },
      () => r(),
    ),
  );
  const rebirth = await alice.waitFor((m) => m.json?.status === 'online', 'rebirth', 5000, since);
  t.equal(rebirth.json!.epoch, 1, 'the host republished its current birth');
});

t.test('after a broker restart the host reconnects with a higher epoch and republishes its snapshots', async (t) => {
  const port = await freePort();
  let broker = await plainBroker(port);
  const store = new SqliteStore(join(tempDir(t), 'tether.db'), { synchronous: 'NORMAL' });
  const host = new SessionHost({ brokerUrl: `mqtt://127.0.0.1:${port}`, store, logger: quietLogger(), mqtt: { reconnectPeriod: 100 } });
  await host.start();
  t.teardown(async () => {
    await host.stop();
    await broker.close();
    await store.close();
  });
  const alice = await peer(t, `mqtt://127.0.0.1:${port}`, 'alice');
  const sid = 's-live';
  await alice.command(sid, 'session.create', { title: 'survives broker restarts' });
  await alice.close();

  await broker.close();
  broker = await plainBroker(port);
  const bob = await peer(t, `mqtt://127.0.0.1:${port}`, 'bob');
  await bob.subscribe(topics.hostState('main'));
  const birth = await bob.waitFor((m) => m.json?.status === 'online', 'birth after the broker restart', 10_000);
  t.ok(birth.json!.epoch >= 2, `the new connection has a new epoch (${birth.json!.epoch})`);
  await bob.subscribe(topics.sessionState(sid));
  const state = await bob.waitFor((m) => m.topic === topics.sessionState(sid), 'republished session state', 10_000);
  t.match(state.json, { sid, headSeq: 1, title: 'survives broker restarts' });
});
