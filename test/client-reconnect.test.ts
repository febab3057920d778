import t from 'tap';
import net from 'node:net';
import { Aedes } from 'aedes';
import { TetherClient } from '../clients/lib/node.ts';

/** An Aedes broker on a fixed port that can be killed (every socket destroyed) and started again on it. */
async function brokerOn(port: number) {
  const broker = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  let connections = 0;
  broker.on('client', () => connections++);
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    async kill() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

/** While the broker is down, something on its port that records each attempt and closes it at once. */
async function refuserOn(port: number) {
  const attempts: number[] = [];
  const server = net.createServer((s) => {
    attempts.push(Date.now());
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { attempts, close: () => new Promise<void>((r) => server.close(() => r())) };
}

t.test(
  'a client whose broker is killed and restarted on the same port reconnects by itself, with growing jittered delays and one connection',
  async (t) => {
    let broker = await brokerOn(0);
    const port = broker.port;
    const url = `mqtt://127.0.0.1:${port}`;
    const client = await TetherClient.connect({ url, principal: 'alice', device: 'laptop', persistent: true });
    t.teardown(async () => {
      await client.close();
      await broker.kill();
    });
    t.equal(broker.connections(), 1, 'one connection to start with');

    // A second start() while connected joins the connection [CLIENT-RECONNECT-5].
    await client.start();
    t.equal(broker.connections(), 1, 'start() while connected opens no second connection');

    const lostAt = Date.now();
    await broker.kill();
    const refuser = await refuserOn(port);
    await new Promise((r) => setTimeout(r, 2500));
    // The application asks again while the client is reconnecting: it joins that attempt.
    const joined = client.start();
    await new Promise((r) => setTimeout(r, 2500));
    await refuser.close();
    const attempts = [...refuser.attempts];
    broker = await brokerOn(port);
    for (let i = 0; i < 400 && client.state !== 'online'; i++) await new Promise((r) => setTimeout(r, 50));
    await joined;
    t.equal(client.state, 'online', 'online again without the application calling anything');
    await new Promise((r) => setTimeout(r, 1000));
    t.equal(broker.connections(), 1, 'exactly one connection to the restarted broker (no second client with the same id)');

    const gaps = attempts.map((at, i) => at - (i === 0 ? lostAt : attempts[i - 1]));
    t.ok(gaps.length >= 3, `several attempts while the broker was down (${gaps.join(', ')} ms) [CLIENT-RECONNECT-1]`);
    t.ok(gaps[0] >= 80 && gaps[0] <= 2000, `the first attempt ${gaps[0]} ms after the loss, within 100 ms to 2 s [CLIENT-RECONNECT-2]`);
    t.ok(
      gaps.every((g) => g >= 80),
      'no two attempts closer than 100 ms',
    );
    t.ok(Math.max(...gaps) <= 60_000 && gaps.at(-1)! > 2 * gaps[0], 'the delays grow, capped at most at 60 s');
    t.ok(new Set(gaps.map((g) => Math.round(g / 10))).size > 1, 'the delays are not a fixed period [CLIENT-RECONNECT-3]');
  },
);
