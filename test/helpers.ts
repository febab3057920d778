/** Shared test helpers: a real embedded Tether on ephemeral ports in a temp dir, and wire peers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { startTether, type Tether, type TetherOptions } from '../broker/embedded.ts';
import { WirePeer } from '../conformance/wire-peer.ts';

export const quietLogger = () => pino({ level: process.env.TETHER_TEST_LOG ?? 'silent' });

export function tempDir(t: Test, prefix = 'tether-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startTestTether(t: Test, opts: TetherOptions = {}): Promise<Tether> {
  const tether = await startTether({
    mqttPort: 0,
    httpPort: 0,
    dataDir: opts.dataDir ?? tempDir(t),
    logger: quietLogger(),
    synchronous: 'NORMAL',
    ...opts,
  });
  t.teardown(() => tether.close());
  return tether;
}

export async function peer(t: Test, url: string, principal: string, opts: Parameters<typeof WirePeer.connect>[2] = {}): Promise<WirePeer> {
  const p = await WirePeer.connect(url, principal, opts);
  t.teardown(() => p.close());
  return p;
}

let sessionCounter = 0;
export function sid(prefix = 's'): string {
  return `${prefix}-${process.pid}-${++sessionCounter}`;
}

/** Creates a session owned by `owner` with the given other participants, and returns its id. */
export async function createSession(
  owner: WirePeer,
  participants: { principal: string; role: string }[] = [],
  title = 'test',
): Promise<string> {
  const id = sid();
  const reply = await owner.command(id, 'session.create', { title, participants });
  if (reply.type !== 'ack') throw new Error(`session.create failed: ${JSON.stringify(reply)}`);
  return id;
}

export { WirePeer };

import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildTether {
  child: ChildProcess;
  mqttUrl: string;
  httpUrl: string;
  exited: Promise<number | null>;
}

/** Runs `tether broker` as a child process (real signals, real kill -9) and waits until it is up. */
export async function spawnTether(t: Test, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildTether> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'bin', 'tether.ts'), 'broker', '--port', '0', '--http-port', '0', ...args],
    {
      env: { ...process.env, TETHER_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let stderr = '';
  const urls = await new Promise<{ mqttUrl: string; httpUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tether did not start within 20 s: ${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /MQTT (\S+) {2}WebSocket \S+ {2}health (\S+)\/healthz/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ mqttUrl: m[1], httpUrl: m[2] });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tether exited with ${code} before starting: ${stderr}`));
    });
  });
  return { child, exited, ...urls };
}

import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mosquittoConf } from '../broker/acl-mosquitto.ts';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Mosquitto {
  url: string;
  port: number;
  aclFile: string;
  /** Rewrites the ACL file and makes Mosquitto reload it (SIGHUP). */
  reloadAcl(text: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Debian's mosquitto on an ephemeral loopback port with a password file and an ACL file. */
export async function startMosquitto(t: Test, users: Record<string, string>, aclText: string): Promise<Mosquitto> {
  const dir = tempDir(t, 'mosquitto-');
  const passwordFile = join(dir, 'passwd');
  writeFileSync(passwordFile, '');
  for (const [user, password] of Object.entries(users)) execFileSync('mosquitto_passwd', ['-b', passwordFile, user, password]);
  const aclFile = join(dir, 'acl');
  writeFileSync(aclFile, aclText);
  const port = await freePort();
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(confFile, mosquittoConf({ port, passwordFile, aclFile, user: process.getuid?.() === 0 ? 'root' : undefined }));
  const child = spawn('mosquitto', ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  t.teardown(stop);
  // Wait until the listener accepts connections: bounded attempts, each awaiting a real connect result.
  for (let attempt = 0; ; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (attempt > 100 || child.exitCode !== null) throw new Error(`mosquitto did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    aclFile,
    async reloadAcl(text: string) {
      writeFileSync(aclFile, text);
      const before = stderr.length;
      child.kill('SIGHUP');
      // Mosquitto logs the reload on stderr; wait for that line (bounded).
      for (let i = 0; i < 100 && !/Reloading config/i.test(stderr.slice(before)); i++) await new Promise((r) => setTimeout(r, 20));
    },
    stop,
  };
}

// ---------------------------------------------------------------- client library tests

/** A deterministic PRNG (mulberry32): the same seed gives the same cut points on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CutProxy {
  /** mqtt://127.0.0.1:{port} of the proxy. */
  url: string;
  port: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Connections open now. */
  readonly open: number;
  /** Bytes forwarded so far, server to client (down) and client to server (up). */
  readonly bytes: { down: number; up: number };
  /** Cuts every open connection now, abruptly (no DISCONNECT: the broker publishes Wills). */
  cut(): number;
  /**
   * Closes only the clients' side: the broker keeps the old connections open and idle, so a
   * reconnecting client takes its client id over, and the broker publishes the old Will late.
   */
  cutClientSide(): number;
  /**
   * Cuts the connection that carries byte number `offset` (counted over all connections, in one
   * direction), for each offset: that byte and the rest of its chunk never arrive, so the cut
   * lands in the middle of a packet. Resolves when every offset was reached.
   */
  cutAt(offsets: number[], direction?: 'down' | 'up'): Promise<void>;
  /** While paused, new connections are closed at once (the broker looks unreachable). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of a broker port that cuts connections at given byte offsets or on demand. */
export async function startCutProxy(t: Test, targetPort: number, host = '127.0.0.1'): Promise<CutProxy> {
  type Pair = { client: net.Socket; upstream: net.Socket };
  const pairs = new Set<Pair>();
  const stranded = new Set<net.Socket>();
  const bytes = { down: 0, up: 0 };
  const plans = { down: [] as number[], up: [] as number[] };
  const donePlans: { direction: 'down' | 'up'; resolve: () => void }[] = [];
  let cuts = 0;
  const kill = (pair: Pair) => {
    if (!pairs.delete(pair)) return false;
    pair.client.destroy();
    pair.upstream.destroy();
    return true;
  };
  const forward = (pair: Pair, direction: 'down' | 'up', chunk: Buffer) => {
    const to = direction === 'down' ? pair.client : pair.upstream;
    const plan = plans[direction];
    if (plan.length && plan[0] < bytes[direction] + chunk.length) {
      // One cut per offset: offsets already passed cut the next connections at their first byte.
      const keep = Math.max(0, plan.shift()! - bytes[direction]);
      bytes[direction] += keep;
      for (let i = 0; i < plan.length && plan[i] < bytes[direction]; i++) plan[i] = bytes[direction];
      cuts++;
      to.write(chunk.subarray(0, keep), () => kill(pair));
      if (plan.length === 0) for (const d of donePlans.filter((x) => x.direction === direction)) d.resolve();
      return;
    }
    bytes[direction] += chunk.length;
    to.write(chunk);
  };
  let paused = false;
  const server = net.createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, host);
    upstream.setNoDelay(true);
    const pair = { client, upstream };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => pairs.has(pair) && forward(pair, 'up', chunk));
    upstream.on('data', (chunk: Buffer) => pairs.has(pair) && forward(pair, 'down', chunk));
    for (const s of [client, upstream]) {
      s.on('error', () => kill(pair));
      s.on('close', () => kill(pair));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const proxy: CutProxy = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    get cuts() {
      return cuts;
    },
    get open() {
      return pairs.size;
    },
    bytes,
    cut() {
      let n = 0;
      for (const p of [...pairs]) if (kill(p)) n++;
      cuts += n;
      return n;
    },
    cutClientSide() {
      const n = pairs.size;
      for (const p of [...pairs]) {
        pairs.delete(p);
        p.client.destroy();
        // The broker's socket stays open but silent until the takeover closes it.
        p.upstream.removeAllListeners('data');
        p.upstream.on('close', () => p.upstream.destroy());
        stranded.add(p.upstream);
      }
      cuts += n;
      return n;
    },
    cutAt(offsets: number[], direction: 'down' | 'up' = 'down') {
      plans[direction] = [...plans[direction], ...offsets.map((o) => Math.floor(o))].sort((a, b) => a - b);
      if (plans[direction].length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => donePlans.push({ direction, resolve }));
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    async close() {
      for (const d of donePlans) d.resolve();
      for (const p of [...pairs]) kill(p);
      for (const s of stranded) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  t.teardown(() => proxy.close());
  return proxy;
}

import type { Transport, TransportEvents } from '../clients/lib/transport.ts';
import { Emitter } from '../clients/lib/emitter.ts';

export interface ChaosOptions {
  /** Which topics are disturbed (default: session events topics). */
  match?: (topic: string) => boolean;
  /** Probability that a message is delivered twice (the copy arrives later). */
  duplicate?: number;
  /** Probability that a message is held back and delivered after later ones. */
  reorder?: number;
  /** Probability that a message is lost. */
  drop?: number;
  /** Outgoing publishes for which this returns true are reported sent but never reach the broker. */
  losePublish?: (topic: string, payload: string) => boolean;
}

/**
 * A Transport wrapper, through the client library's public transport seam, that delivers
 * matching messages duplicated, out of order or not at all, driven by a seeded PRNG.
 */
export class ChaosTransport extends Emitter<TransportEvents> implements Transport {
  readonly stats = { messages: 0, duplicated: 0, reordered: 0, dropped: 0 };
  private held: [string, Uint8Array][] = [];
  private timer?: ReturnType<typeof setTimeout>;
  private readonly match: (topic: string) => boolean;

  constructor(
    private readonly inner: Transport,
    private readonly random: () => number,
    private readonly opts: ChaosOptions = {},
  ) {
    super();
    this.match = opts.match ?? ((topic) => /^tether\/v1\/sessions\/[^/]+\/events$/.test(topic));
    inner.on('state', (s) => this.emit('state', s));
    inner.on('refused', (f) => this.emit('refused', f));
    inner.on('error', (e) => this.emit('error', e));
    inner.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  get state() {
    return this.inner.state;
  }

  get clientId() {
    return this.inner.clientId;
  }

  start() {
    this.inner.start();
  }

  subscribe(filter: string) {
    return this.inner.subscribe(filter);
  }

  unsubscribe(filter: string) {
    return this.inner.unsubscribe(filter);
  }

  publish(topic: string, payload: string, opts?: { retain?: boolean }) {
    if (this.opts.losePublish?.(topic, payload)) return Promise.resolve();
    return this.inner.publish(topic, payload, opts);
  }

  async close() {
    clearTimeout(this.timer);
    this.held = [];
    await this.inner.close();
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    if (!this.match(topic)) return this.emit('message', topic, payload);
    this.stats.messages++;
    const r = this.random();
    const { drop = 0, reorder = 0, duplicate = 0 } = this.opts;
    if (r < drop) {
      this.stats.dropped++;
      return;
    }
    if (r < drop + reorder) {
      this.stats.reordered++;
      this.held.push([topic, payload]);
      this.timer ??= setTimeout(() => this.release(), 5);
      return;
    }
    this.emit('message', topic, payload);
    if (this.random() < duplicate) {
      this.stats.duplicated++;
      this.held.push([topic, payload]);
      this.timer ??= setTimeout(() => this.release(), 5);
    }
    // What was held back now arrives after a later message.
    if (this.held.length && this.random() < 0.5) this.release();
  }

  private release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    this.held = [];
    for (const [topic, payload] of held.reverse()) this.emit('message', topic, payload);
  }
}
