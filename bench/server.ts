/**
 * The system under test, in a child process of its own so that the load generator does not share
 * its event loop and its RSS is its own. Modes:
 *   tether            the embedded reference (Aedes + session host + SQLite), as `startTether` runs it
 *   aedes             a bare Aedes broker of the same version, no hooks: the raw MQTT baseline
 *   host              the session host alone (as `tether host --broker`), against brokerUrl
 *   durable-streams   the Durable Streams reference server with its file store
 *   sse               a plain Node HTTP server-sent-events stream
 * It reports its URLs over IPC, answers {op:'rss'} (after a full GC) and {op:'cpu'} (CPU time used,
 * microseconds), and exits on {op:'stop'}.
 */
import http from 'node:http';
import net from 'node:net';

export type ServerMode = 'tether' | 'aedes' | 'host' | 'durable-streams' | 'sse';

export interface ServerConfig {
  mode: ServerMode;
  dataDir: string;
  limits?: Record<string, number>;
  /** SQLite synchronous mode of the tether and host modes (default: FULL, as shipped). */
  synchronous?: 'FULL' | 'NORMAL';
  /** The broker the host mode connects to. */
  brokerUrl?: string;
}

export interface ServerReady {
  url: string;
  httpUrl?: string;
  pid: number;
}

type Stop = () => Promise<void>;

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

// Each mode imports only what it runs, so that the lighter servers start fast.
async function startAedes(): Promise<[ServerReady, Stop]> {
  const { Aedes } = await import('aedes');
  const { createMq } = await import('../broker/mq.ts');
  // The same stack-safe emitter as the embedded reference (stock mqemitter overflows its stack at
  // the 1,000-stream level), so that the baseline differs from Tether only by the host.
  const broker = await Aedes.createBroker({ id: 'bench-raw', mq: createMq() });
  const server = net.createServer((socket) => {
    // Same as the embedded reference: Nagle off on every broker-side socket.
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  const port = await listen(server);
  return [
    { url: `mqtt://127.0.0.1:${port}`, pid: process.pid },
    async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  ];
}

async function startEmbedded(): Promise<[ServerReady, Stop]> {
  const [{ startTether }, { default: pino }] = await Promise.all([import('../broker/embedded.ts'), import('pino')]);
  const tether = await startTether({
    mqttPort: 0,
    httpPort: 0,
    dataDir: config.dataDir,
    logger: pino({ level: 'silent' }),
    limits: config.limits,
    synchronous: config.synchronous,
  });
  return [{ url: tether.mqttUrl, httpUrl: tether.httpUrl, pid: process.pid }, () => tether.close()];
}

async function startHost(): Promise<[ServerReady, Stop]> {
  const [{ SessionHost }, { SqliteStore }, { default: pino }, { join }] = await Promise.all([
    import('../host/host.ts'),
    import('../host/store/sqlite.ts'),
    import('pino'),
    import('node:path'),
  ]);
  const store = new SqliteStore(join(config.dataDir, 'tether.db'), { synchronous: config.synchronous });
  const host = new SessionHost({ brokerUrl: config.brokerUrl!, store, limits: config.limits, logger: pino({ level: 'silent' }) });
  await host.start();
  return [
    { url: config.brokerUrl!, pid: process.pid },
    async () => {
      await host.stop();
      await store.close();
    },
  ];
}

async function startDurableStreams(): Promise<[ServerReady, Stop]> {
  // Its per-append "slow" info lines go to the console; the other systems log nothing either.
  console.info = () => {};
  const { DurableStreamTestServer } = await import('@durable-streams/server');
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1', dataDir: config.dataDir, longPollTimeout: 30_000 });
  const url = await server.start();
  return [{ url, pid: process.pid }, () => server.stop()];
}

/**
 * GET /tokens?n=N&size=S streams N events `data: {"i":k,"t":"..."}` as fast as the socket takes
 * them (write() backpressure respected), then `event: end`.
 */
async function startSse(): Promise<[ServerReady, Stop]> {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/tokens') {
      res.writeHead(404).end();
      return;
    }
    const n = Number(u.searchParams.get('n') ?? 0);
    const text = 'x'.repeat(Number(u.searchParams.get('size') ?? 4));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let i = 0;
    const pump = () => {
      while (i < n) {
        const ok = res.write(`data: {"i":${i},"t":"${text}"}\n\n`);
        i++;
        if (!ok) return void res.once('drain', pump);
      }
      res.end('event: end\ndata: {}\n\n');
    };
    pump();
  });
  const port = await listen(server);
  return [
    { url: `http://127.0.0.1:${port}`, pid: process.pid },
    async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  ];
}

function rss(): { rss: number; heapUsed: number; external: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

async function main(): Promise<void> {
  const starters: Record<ServerMode, () => Promise<[ServerReady, Stop]>> = {
    tether: startEmbedded,
    aedes: startAedes,
    host: startHost,
    'durable-streams': startDurableStreams,
    sse: startSse,
  };
  const [ready, stop] = await starters[config.mode]();
  let stopping = false;
  process.on('message', (msg: { op: string; id: number }) => {
    if (msg.op === 'rss') process.send!({ id: msg.id, result: rss() });
    if (msg.op === 'cpu') {
      const c = process.cpuUsage();
      process.send!({ id: msg.id, result: c.user + c.system });
    }
    if (msg.op === 'stop' && !stopping) {
      stopping = true;
      const timer = setTimeout(() => process.exit(3), 20_000);
      void stop().then(
        () => {
          clearTimeout(timer);
          process.send!({ id: msg.id, result: 'stopped' }, () => process.exit(0));
        },
        (err) => {
          process.stderr.write(`stop failed: ${(err as Error).stack}\n`);
          process.exit(2);
        },
      );
    }
  });
  // The parent going away (crash, ^C) must not leave a server behind.
  process.on('disconnect', () => {
    if (!stopping) process.exit(1);
  });
  process.send!({ ready });
}

main().catch((err) => {
  process.stderr.write(`bench server (${config.mode}) failed to start: ${(err as Error).stack}\n`);
  process.exit(1);
});
