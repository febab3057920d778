/**
 * `npm run bench`: every workload of issue 6 against the embedded reference and, in the same run,
 * its raw baselines and peers; writes bench/results/latest.{json,md} and latency.svg.
 *
 *   npm run bench                      full run (a few minutes on 2 cores)
 *   npm run bench -- --quick           small counts, seconds; writes bench/results/tmp/quick/
 *   --out DIR                          where to write the results
 *   --profile DIR                      V8 CPU profiles of every Tether server process, per workload
 *   --only latency,catch-up            a subset (development); writes DIR/partial.json only
 *
 * Any lost, repeated or reordered event, or wrong content, fails the run (exit code 1).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { commitFigures, hostCounters } from './metrics.ts';
import { missingFigures, writeResults, type BenchResults, type Target } from './report.ts';
import { ServerHandle, type ServerOptions } from './server-handle.ts';
import type { ServerMode } from './server.ts';
import { BenchFailure, ratio } from './stats.ts';
import { durableStreamsCatchUp, offlineQueueCatchUp, tetherCatchUp } from './workloads/catch-up.ts';
import { rawFootprint, tetherFootprint } from './workloads/footprint.ts';
import { tetherLateJoin } from './workloads/late-join.ts';
import { rawLatency, tetherLatency } from './workloads/latency.ts';
import { durableStreamsSingleStream, plainSseSingleStream, tetherSingleStream } from './workloads/single-stream.ts';
import { rawThroughput, tetherThroughput, type ThroughputConfig } from './workloads/throughput.ts';

const ROOT = join(import.meta.dirname, '..');
const WORKLOADS = ['latency', 'throughput', 'catch-up', 'late-join', 'footprint', 'single-stream'] as const;
type Workload = (typeof WORKLOADS)[number];

const FULL = {
  latency: { levels: [1, 100, 1000], tokensPerSecond: 20, seconds: 10, warmupTokens: 20 },
  throughput: { streams: 4, warmupSeconds: 2, seconds: 8, window: 256 },
  catchUp: [10_000, 100_000],
  lateJoin: { joins: 20, priorMessages: 20, tokensPerMessage: 50, tokensPerSecond: 20, followTokens: 5 },
  footprint: { sessions: 10_000, clients: 2_000 },
  singleStream: { tokens: 50_000, uncoalescedTokens: 10_000 },
};

const QUICK: typeof FULL = {
  latency: { levels: [1, 10], tokensPerSecond: 20, seconds: 2, warmupTokens: 5 },
  throughput: { streams: 2, warmupSeconds: 0.3, seconds: 1, window: 64 },
  catchUp: [500, 2_000],
  lateJoin: { joins: 3, priorMessages: 3, tokensPerMessage: 10, tokensPerSecond: 20, followTokens: 3 },
  footprint: { sessions: 200, clients: 50 },
  singleStream: { tokens: 2_000, uncoalescedTokens: 500 },
};

/** Benchmarks load the host far past its protective defaults (500 commands/s, 1,000 sessions). */
const LIMITS = { commandsPerSecond: 10_000_000, maxSessionsPerPrincipal: 10_000_000 };

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, profile: { type: 'string' }, only: { type: 'string' } },
});
const quick = values.quick!;
const cfg = quick ? QUICK : FULL;
const only = values.only ? (values.only.split(',') as Workload[]) : undefined;
for (const w of only ?? []) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}; one of ${WORKLOADS.join(', ')}`);
const outDir = values.out ?? join(ROOT, 'bench', 'results', ...(quick || only ? ['tmp', quick ? 'quick' : 'partial'] : []));
const wanted = (w: Workload) => !only || only.includes(w);

/**
 * Systems under test, one child process each. A full run starts a fresh one for every workload;
 * a quick run reuses one per mode and configuration (starting a process costs seconds), except
 * where a figure needs a fresh process (footprint).
 */
class Servers {
  readonly running = new Set<ServerHandle>();
  private readonly shared = new Map<string, ServerHandle>();

  constructor(private readonly reuse: boolean) {}

  private async start(mode: ServerMode, workload: string, opts: ServerOptions): Promise<ServerHandle> {
    const s = await ServerHandle.start(mode, {
      ...opts,
      limits: mode === 'tether' ? LIMITS : undefined,
      cpuProfDir: values.profile && mode === 'tether' ? join(values.profile, workload) : undefined,
    });
    this.running.add(s);
    return s;
  }

  /**
   * Runs fn against a server of the mode. fn may restart it (host and broker restart) through
   * the callback it is given.
   */
  async use<T>(mode: ServerMode, workload: string, fn: (s: ServerHandle, restart: () => Promise<ServerHandle>) => Promise<T>, opts: ServerOptions & { fresh?: boolean } = {}): Promise<T> {
    const key = `${mode}/${opts.synchronous ?? ''}`;
    const reuse = this.reuse && !opts.fresh;
    let s = (reuse && this.shared.get(key)) || (await this.start(mode, workload, opts));
    if (reuse) this.shared.set(key, s);
    const restart = async () => {
      this.running.delete(s);
      s = await s.restart();
      this.running.add(s);
      if (reuse) this.shared.set(key, s);
      return s;
    };
    try {
      return await fn(s, restart);
    } finally {
      if (!reuse) await this.stop(s);
    }
  }

  async stop(s: ServerHandle): Promise<void> {
    this.running.delete(s);
    await s.stop();
  }

  async stopAll(): Promise<void> {
    this.shared.clear();
    await Promise.all([...this.running].map((s) => this.stop(s).catch(() => {})));
  }
}

const servers = new Servers(quick);

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function version(pkg: string): string {
  return (JSON.parse(readFileSync(join(ROOT, pkg === 'tether' ? '' : `node_modules/${pkg}`, 'package.json'), 'utf8')) as { version: string }).version;
}

async function throughputOf(s: ServerHandle, t: ThroughputConfig) {
  const before = await hostCounters(s.ready.httpUrl!);
  const r = await tetherThroughput(s.url, t, () => s.cpuMicros());
  return { ...r, ...commitFigures(before, await hostCounters(s.ready.httpUrl!)) };
}

async function main(): Promise<BenchResults> {
  const started = Date.now();
  const load0 = os.loadavg();
  const r: Partial<BenchResults> = {};

  if (wanted('latency')) {
    r.latency = [];
    for (const sessions of cfg.latency.levels) {
      const lc = { ...cfg.latency, sessions };
      log(`latency: ${sessions} streams x ${lc.tokensPerSecond} tok/s for ${lc.seconds} s, Tether then raw`);
      const tether = await servers.use('tether', `latency-${sessions}`, (s) => tetherLatency(s.url, lc));
      const raw = await servers.use('aedes', 'latency', (s) => rawLatency(s.url, lc));
      r.latency.push({ sessions, tether, raw, ratio: { p50: ratio(tether.p50, raw.p50), p99: ratio(tether.p99, raw.p99), max: ratio(tether.max, raw.max) } });
      log(`  p50/p99/max ms: Tether ${tether.p50}/${tether.p99}/${tether.max}, raw ${raw.p50}/${raw.p99}/${raw.max}`);
    }
  }

  if (wanted('throughput')) {
    const t = cfg.throughput;
    log(`throughput: ${t.streams} streams, ${t.seconds} s measured`);
    const tether = await servers.use('tether', 'throughput', (s) => throughputOf(s, t));
    const tetherSyncNormal = await servers.use('tether', 'throughput-normal', (s) => throughputOf(s, t), { synchronous: 'NORMAL' });
    const raw = await servers.use('aedes', 'throughput', (s) => rawThroughput(s.url, t, () => s.cpuMicros()));
    r.throughput = { tether, tetherSyncNormal, raw, ratio: ratio(tether.perSecond, raw.perSecond) };
    log(`  events/s: Tether ${tether.perSecond} (NORMAL ${tetherSyncNormal.perSecond}), raw ${raw.perSecond}`);
  }

  if (wanted('catch-up')) {
    r.catchUp = [];
    for (const events of cfg.catchUp) {
      log(`catch-up: ${events} events`);
      const tether = await servers.use('tether', `catch-up-${events}`, (s, restart) => tetherCatchUp(s, events, restart));
      const offlineQueue = await servers.use('aedes', 'catch-up', (a) => offlineQueueCatchUp(a.url, events));
      const durableStreams = await servers.use('durable-streams', 'catch-up', (d) => durableStreamsCatchUp(d.url, events));
      r.catchUp.push({
        events,
        tether: tether.cut,
        tetherAfterRestart: tether.afterRestart,
        offlineQueue,
        durableStreams,
        ratio: { vsOfflineQueue: ratio(tether.cut.ms, offlineQueue.ms), vsDurableStreams: ratio(tether.cut.ms, durableStreams.ms) },
      });
      log(`  ms: Tether ${tether.cut.ms} (after restart ${tether.afterRestart.ms}), offline queue ${offlineQueue.ms}, Durable Streams ${durableStreams.ms}`);
    }
  }

  if (wanted('late-join')) {
    log(`late join: ${cfg.lateJoin.joins} joins`);
    r.lateJoin = await servers.use('tether', 'late-join', (s) => tetherLateJoin(s.url, cfg.lateJoin));
    log(`  join to first render ms: p50 ${r.lateJoin.p50}, p99 ${r.lateJoin.p99}`);
  }

  if (wanted('footprint')) {
    const f = cfg.footprint;
    log(`footprint: ${f.sessions} sessions, ${f.clients} clients`);
    const tether = await servers.use('tether', 'footprint', (s) => tetherFootprint(s, f), { fresh: true });
    const raw = await servers.use('aedes', 'footprint', (s) => rawFootprint(s, f), { fresh: true });
    r.footprint = { tether, raw, ratio: { perClient: ratio(tether.perClientKB, raw.perClientKB) } };
    log(`  RSS MB: Tether ${tether.withClientsMB} (${tether.perSessionKB} KB/session, ${tether.perClientKB} KB/client), raw ${raw.perClientKB} KB/client`);
  }

  if (wanted('single-stream')) {
    const ss = cfg.singleStream;
    log(`single stream: ${ss.tokens} tokens`);
    const [tetherCoalesced, tetherUncoalesced] = await servers.use('tether', 'single-stream', async (s) => [
      await tetherSingleStream(s.url, ss.tokens),
      await tetherSingleStream(s.url, ss.uncoalescedTokens, 0),
    ]);
    const durableStreams = await servers.use('durable-streams', 'single-stream', (d) => durableStreamsSingleStream(d.url, ss.tokens));
    const plainSse = await servers.use('sse', 'single-stream', (p) => plainSseSingleStream(p.url, ss.tokens));
    r.singleStream = {
      tetherCoalesced,
      tetherUncoalesced,
      durableStreams,
      plainSse,
      ratio: { coalescedVsDurableStreams: ratio(tetherCoalesced.tokensPerSecond, durableStreams.tokensPerSecond), coalescedVsPlainSse: ratio(tetherCoalesced.tokensPerSecond, plainSse.tokensPerSecond) },
    };
    log(`  tokens/s: Tether ${tetherCoalesced.tokensPerSecond} (uncoalesced ${tetherUncoalesced.tokensPerSecond}), Durable Streams ${durableStreams.tokensPerSecond}, plain SSE ${plainSse.tokensPerSecond}`);
  }

  const cpus = os.cpus();
  return {
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: {
      cpus: cpus.length,
      model: cpus[0]?.model ?? 'unknown',
      memoryGB: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      loadAverageAtStart: load0.map((v) => Math.round(v * 100) / 100),
      loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
      note: 'The machine was shared with other engineers running tests: absolute figures drift; compare the ratios, measured back to back in the same run.',
    },
    versions: Object.fromEntries(['tether', 'aedes', 'mqtt', 'better-sqlite3', '@durable-streams/server', '@durable-streams/client', 'tsx'].map((p) => [p, version(p)])),
    method: {
      processes: 'Each system under test runs alone in a child process (node --import tsx); the load generator (all clients) is the parent process.',
      tether: 'Embedded reference (startTether: Aedes + host + SQLite, synchronous FULL, group commit) with limits raised for load; clients are composed from clients/lib (MqttTransport, CommandLedger, RequestLedger, SessionFeed, MessageFold, StreamWriter).',
      raw: 'Bare Aedes of the same version, no hooks, setNoDelay on every broker socket; mqtt.js clients with setNoDelay, QoS 1.',
      latency: 'Token = one uncoalesced StreamWriter chunk (windowMs 0), timed from write() to the human fold applying it; raw = publish() to message event. Streams start spread over one token interval; the first warmupTokens of each stream are not counted.',
      throughput: 'Sustained acknowledged message.delta commands per second over the measured interval, one human rendering each session; raw = 32-byte QoS 1 messages received per second, windowed publishers.',
      catchUp: 'From the first connect attempt to the last missed event delivered in order; Tether reads history with compact=false (fillers are chunks of one open message); Durable Streams is filled 100 events per append (one append per event costs minutes of LMDB commits).',
      lateJoin: 'A new device of a participant joins during a 20 tok/s stream; from its first connect attempt to the first render of the partial message, then checked to follow the live stream with no gap or repeat.',
      footprint: 'RSS of the server process after a full GC (lowest of three samples); sessions created through the host; clients are library transports following one session each.',
      singleStream: 'One writer, one reader, tokens written as fast as the writer takes them; Tether coalesced = StreamWriter defaults (30 ms window), Durable Streams = IdempotentProducer defaults (5 ms linger) with an SSE reader.',
    },
    targets: [],
    ...r,
  } as BenchResults;
}

function targets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const top = r.latency.at(-1);
  if (top) out.push({ name: `token p99 at ${top.sessions} streams within 2x raw`, target: '<= 2x', value: `${top.ratio.p99}x (${top.tether.p99} vs ${top.raw.p99} ms)`, met: (top.ratio.p99 ?? Infinity) <= 2 });
  if (r.throughput) {
    out.push({ name: 'durable events/s through one host', target: '>= 35,000', value: `${r.throughput.tether.perSecond}`, met: r.throughput.tether.perSecond >= 35_000 });
    out.push({ name: 'durable events/s vs raw QoS 1, same run', target: '>= 0.5x', value: `${r.throughput.ratio}x`, met: (r.throughput.ratio ?? 0) >= 0.5 });
  }
  const c = r.catchUp?.find((x) => x.events === 10_000) ?? r.catchUp?.[0];
  if (c) out.push({ name: `catch-up of ${c.events} missed events`, target: '<= 40 ms', value: `${c.tether.ms} ms (restart ${c.tetherAfterRestart.ms} ms)`, met: c.tether.ms <= 40 && c.tetherAfterRestart.ms <= 40 });
  if (r.footprint) out.push({ name: `${r.footprint.tether.sessions} sessions + ${r.footprint.tether.clients} clients`, target: 'well under 1 GB', value: `${r.footprint.tether.withClientsMB} MB`, met: r.footprint.tether.withClientsMB < 512 });
  return out;
}

const exit = async (code: number) => {
  await servers.stopAll();
  process.exit(code);
};

main().then(
  async (r) => {
    r.targets = targets(r);
    if (only) {
      const { mkdirSync, writeFileSync } = await import('node:fs');
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'partial.json'), `${JSON.stringify(r, null, 2)}\n`);
      log(`partial results (${only.join(', ')}) in ${join(outDir, 'partial.json')}`);
      return exit(0);
    }
    const missing = missingFigures(r);
    if (missing.length) {
      log(`FAILED: figures missing from the results: ${missing.join(', ')}`);
      return exit(1);
    }
    writeResults(outDir, r);
    log(`results in ${outDir} (latest.json, latest.md, latency.svg)`);
    return exit(0);
  },
  async (err: Error) => {
    log(err instanceof BenchFailure ? `FAILED (correctness): ${err.message}` : `FAILED: ${err.stack ?? err.message}`);
    return exit(1);
  },
);
