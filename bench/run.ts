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
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { commitFigures, hostCounters } from './metrics.ts';
import { missingFigures, ok, writeResults, type BenchResults, type Outcome } from './report.ts';
import { Servers } from './servers.ts';
import { targets } from './targets.ts';
import type { ServerHandle } from './server-handle.ts';
import { BenchFailure, ratio } from './stats.ts';
import { durableStreamsCatchUp, offlineQueueCatchUp, tetherCatchUp, type CatchUpResult } from './workloads/catch-up.ts';
import { rawFootprint, tetherFootprint } from './workloads/footprint.ts';
import { tetherLateJoin } from './workloads/late-join.ts';
import { rawLatency, tetherLatency, type LatencyResult } from './workloads/latency.ts';
import { durableStreamsSingleStream, plainSseSingleStream, tetherSingleStream } from './workloads/single-stream.ts';
import { rawThroughput, tetherThroughput, type ThroughputConfig } from './workloads/throughput.ts';

const ROOT = join(import.meta.dirname, '..');
const WORKLOADS = ['latency', 'throughput', 'catch-up', 'late-join', 'footprint', 'single-stream'] as const;
type Workload = (typeof WORKLOADS)[number];

const FULL = {
  latency: {
    levels: [
      { sessions: 1, seconds: 6 },
      { sessions: 100, seconds: 6 },
      // Tether saturates at this level (see the results): a shorter run and drain keep the whole
      // benchmark under 10 minutes; the tokens not rendered in time are reported as censored.
      { sessions: 1000, seconds: 3, drainLimitMs: 10_000 },
    ],
    tokensPerSecond: 20,
    warmupTokens: 20,
    drainLimitMs: 20_000,
  },
  throughput: { streams: 4, warmupSeconds: 1, seconds: 5, window: 256 },
  catchUp: [10_000, 100_000],
  lateJoin: { joins: 20, priorMessages: 20, tokensPerMessage: 50, tokensPerSecond: 20, followTokens: 5 },
  footprint: { sessions: 10_000, clients: 2_000 },
  singleStream: { tokens: 50_000, uncoalescedTokens: 2_000 },
};

const QUICK: typeof FULL = {
  latency: {
    levels: [
      { sessions: 1, seconds: 2 },
      { sessions: 10, seconds: 2 },
    ],
    tokensPerSecond: 20,
    warmupTokens: 5,
    drainLimitMs: 30_000,
  },
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

const servers = new Servers({ reuse: quick, limits: LIMITS, profileDir: values.profile });

/** Correctness failures and crashes: recorded with the figures, and the run exits non-zero. */
const failures: { workload: string; message: string }[] = [];

async function attempt<T>(workload: string, fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return await fn();
  } catch (err) {
    const message = err instanceof BenchFailure ? `lost, repeated or wrong events: ${err.message}` : (err as Error).message;
    failures.push({ workload, message });
    log(`  FAILED ${workload}: ${message}`);
    return { failed: message };
  }
}

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function version(pkg: string): string {
  return (
    JSON.parse(readFileSync(join(ROOT, pkg === 'tether' ? '' : `node_modules/${pkg}`, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

/**
 * fdatasync latency of the disk the servers write to (os.tmpdir()): SQLite (FULL) and the Durable
 * Streams file store sync on every commit, so this bounds both, and a shared disk makes it drift.
 */
function fsyncLatency(): { p50: number; p99: number } {
  const dir = mkdtempSync(join(os.tmpdir(), 'tether-bench-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const times: number[] = [];
  try {
    const block = Buffer.alloc(4096, 1);
    for (let i = 0; i < 50; i++) {
      writeSync(fd, block);
      const t0 = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return { p50: Math.round(times[24] * 1000) / 1000, p99: Math.round(times[49] * 1000) / 1000 };
}

async function throughputOf(s: ServerHandle, t: ThroughputConfig) {
  const before = await hostCounters(s.ready.httpUrl!);
  const r = await tetherThroughput(s.url, t, () => s.cpuMicros());
  return { ...r, ...commitFigures(before, await hostCounters(s.ready.httpUrl!)) };
}

async function main(): Promise<BenchResults> {
  const started = Date.now();
  const load0 = os.loadavg();
  const fsync0 = fsyncLatency();
  const r: Partial<BenchResults> = {};

  if (wanted('latency')) {
    r.latency = [];
    for (const level of cfg.latency.levels) {
      const { levels: _levels, ...common } = cfg.latency;
      const lc = { ...common, ...level };
      const { sessions } = lc;
      log(`latency: ${sessions} streams x ${lc.tokensPerSecond} tok/s for ${lc.seconds} s, Tether then raw`);
      const tether = await attempt(`latency ${sessions} Tether`, () =>
        servers.use('tether', `latency-${sessions}`, (s) => tetherLatency(s.url, lc)),
      );
      const tetherSplit: Outcome<LatencyResult> =
        sessions >= 1000
          ? { skipped: 'measured at the lower levels only (time budget: the 1,000-stream level saturates both deployments)' }
          : await attempt(`latency ${sessions} Tether split`, () =>
              servers.useSplit(`latency-${sessions}`, (s) => tetherLatency(s.url, lc)),
            );
      const raw = await attempt(`latency ${sessions} raw`, () => servers.use('aedes', 'latency', (s) => rawLatency(s.url, lc)));
      const t = ok(tether);
      const sp = ok(tetherSplit);
      const b = ok(raw);
      r.latency.push({
        sessions,
        tether,
        tetherSplit,
        raw,
        ratio: {
          p50: ratio(t?.p50, b?.p50),
          p99: ratio(t?.p99, b?.p99),
          max: ratio(t?.max, b?.max),
          ...('skipped' in tetherSplit ? {} : { splitP99: ratio(sp?.p99, b?.p99) }),
        },
      });
      const fmt = (x: Outcome<LatencyResult>) => {
        const v = ok(x);
        return v
          ? `${v.p50}/${v.p99}/${v.max}${v.censored ? ` (${v.censored} tokens not rendered in time)` : ''}`
          : 'failed' in x
            ? 'failed'
            : 'not measured';
      };
      log(`  p50/p99/max ms: Tether ${fmt(tether)}, host in its own process ${fmt(tetherSplit)}, raw ${fmt(raw)}`);
    }
  }

  if (wanted('throughput')) {
    const t = cfg.throughput;
    log(`throughput: ${t.streams} streams, ${t.seconds} s measured`);
    const tether = await attempt('throughput Tether', () => servers.use('tether', 'throughput', (s) => throughputOf(s, t)));
    const tetherSyncNormal = await attempt('throughput Tether NORMAL', () =>
      servers.use('tether', 'throughput-normal', (s) => throughputOf(s, t), { synchronous: 'NORMAL' }),
    );
    const tetherSplit = await attempt('throughput Tether split', () =>
      servers.useSplit('throughput', (s, cpu) => tetherThroughput(s.url, t, cpu)),
    );
    const raw = await attempt('throughput raw', () =>
      servers.use('aedes', 'throughput', (s) => rawThroughput(s.url, t, () => s.cpuMicros())),
    );
    r.throughput = {
      tether,
      tetherSyncNormal,
      tetherSplit,
      raw,
      ratio: ratio(ok(tether)?.perSecond, ok(raw)?.perSecond),
      splitRatio: ratio(ok(tetherSplit)?.perSecond, ok(raw)?.perSecond),
    };
    log(
      `  events/s: Tether ${ok(tether)?.perSecond} (NORMAL ${ok(tetherSyncNormal)?.perSecond}, host in its own process ${ok(tetherSplit)?.perSecond}), raw ${ok(raw)?.perSecond}`,
    );
  }

  if (wanted('catch-up')) {
    r.catchUp = [];
    for (const events of cfg.catchUp) {
      log(`catch-up: ${events} events`);
      const both = await attempt(`catch-up ${events} Tether`, () =>
        servers.use('tether', `catch-up-${events}`, (s, restart) => tetherCatchUp(s, events, restart)),
      );
      const tb = ok(both);
      const tether: Outcome<CatchUpResult> = tb ? tb.cut : (both as { failed: string });
      const tetherAfterRestart: Outcome<CatchUpResult> = tb ? tb.afterRestart : (both as { failed: string });
      // The issue asks the queue baseline for 10,000; Aedes drains 100,000 queued messages in tens of seconds.
      const offlineQueue: Outcome<CatchUpResult> =
        events > 10_000 && !quick
          ? { skipped: 'baseline asked for 10,000 events only' }
          : await attempt(`catch-up ${events} offline queue`, () =>
              servers.use('aedes', 'catch-up', (a) => offlineQueueCatchUp(a.url, events)),
            );
      const durableStreams = await attempt(`catch-up ${events} Durable Streams`, () =>
        servers.use('durable-streams', 'catch-up', (d) => durableStreamsCatchUp(d.url, events)),
      );
      r.catchUp.push({
        events,
        tether,
        tetherAfterRestart,
        offlineQueue,
        durableStreams,
        // A ratio against a baseline skipped on purpose is left out (not reported as missing).
        ratio: {
          ...('skipped' in offlineQueue ? {} : { vsOfflineQueue: ratio(tb?.cut.ms, ok(offlineQueue)?.ms) }),
          vsDurableStreams: ratio(tb?.cut.ms, ok(durableStreams)?.ms),
        },
      });
      log(
        `  ms: Tether ${tb?.cut.ms} (after restart ${tb?.afterRestart.ms}), offline queue ${ok(offlineQueue)?.ms}, Durable Streams ${ok(durableStreams)?.ms}`,
      );
    }
  }

  if (wanted('late-join')) {
    log(`late join: ${cfg.lateJoin.joins} joins`);
    r.lateJoin = await attempt('late join', () => servers.use('tether', 'late-join', (s) => tetherLateJoin(s.url, cfg.lateJoin)));
    log(`  join to first render ms: p50 ${ok(r.lateJoin)?.p50}, p99 ${ok(r.lateJoin)?.p99}`);
  }

  if (wanted('footprint')) {
    const f = cfg.footprint;
    log(`footprint: ${f.sessions} sessions, ${f.clients} clients`);
    const tether = await attempt('footprint Tether', () =>
      servers.use('tether', 'footprint', (s) => tetherFootprint(s, f), { fresh: true }),
    );
    const raw = await attempt('footprint raw', () => servers.use('aedes', 'footprint', (s) => rawFootprint(s, f), { fresh: true }));
    const t = ok(tether);
    r.footprint = { tether, raw, ratio: { perClient: ratio(t?.perClientKB, ok(raw)?.perClientKB) } };
    log(
      `  RSS MB: Tether ${t?.totalMB} (${t?.perSessionKB} KB/session, ${t?.perClientKB} KB/client; ${t?.clientsPerSecond} clients/s), raw ${ok(raw)?.perClientKB} KB/client`,
    );
  }

  if (wanted('single-stream')) {
    const ss = cfg.singleStream;
    log(`single stream: ${ss.tokens} tokens`);
    const tetherCoalesced = await attempt('single stream Tether', () =>
      servers.use('tether', 'single-stream', (s) => tetherSingleStream(s.url, ss.tokens)),
    );
    const tetherUncoalesced = await attempt('single stream Tether uncoalesced', () =>
      servers.use('tether', 'single-stream', (s) => tetherSingleStream(s.url, ss.uncoalescedTokens, 0)),
    );
    const durableStreams = await attempt('single stream Durable Streams', () =>
      servers.use('durable-streams', 'single-stream', (d) => durableStreamsSingleStream(d.url, ss.tokens)),
    );
    const plainSse = await attempt('single stream plain SSE', () =>
      servers.use('sse', 'single-stream', (p) => plainSseSingleStream(p.url, ss.tokens)),
    );
    const tc = ok(tetherCoalesced)?.tokensPerSecond;
    r.singleStream = {
      tetherCoalesced,
      tetherUncoalesced,
      durableStreams,
      plainSse,
      ratio: {
        coalescedVsDurableStreams: ratio(tc, ok(durableStreams)?.tokensPerSecond),
        coalescedVsPlainSse: ratio(tc, ok(plainSse)?.tokensPerSecond),
      },
    };
    log(
      `  tokens/s: Tether ${tc} (uncoalesced ${ok(tetherUncoalesced)?.tokensPerSecond}), Durable Streams ${ok(durableStreams)?.tokensPerSecond}, plain SSE ${ok(plainSse)?.tokensPerSecond}`,
    );
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
      fdatasyncMsAtStart: fsync0,
      fdatasyncMsAtEnd: fsyncLatency(),
      note: 'The machine was shared with other engineers running tests: absolute figures drift; compare the ratios, measured back to back in the same run.',
    },
    versions: Object.fromEntries(
      ['tether', 'aedes', 'mqtt', 'better-sqlite3', '@durable-streams/server', '@durable-streams/client', 'tsx'].map((p) => [
        p,
        version(p),
      ]),
    ),
    method: {
      processes:
        'Each system under test runs alone in a child process (node --import tsx); the load generator (all clients) is the parent process.',
      tether:
        'Embedded reference (startTether: Aedes + host + SQLite in one process, synchronous FULL, group commit) with limits raised for load; clients are the client library (TetherClient, Session, SessionFeed, MessageFold, StreamWriter).',
      split:
        '"Host in its own process": a bare Aedes process plus the session host alone (as `tether host --broker`) in another, so that each gets a core; no auth hooks on that broker.',
      raw: 'Bare Aedes of the same version, no hooks, setNoDelay on every broker socket; mqtt.js clients with setNoDelay, QoS 1.',
      latency:
        'Token = one uncoalesced StreamWriter chunk (windowMs 0), timed from write() to the human fold applying it; raw = publish() to message event. Streams start spread over one token interval; the first warmupTokens of each stream are not counted.',
      throughput:
        'Sustained acknowledged message.delta commands per second over the measured interval, one human rendering each session; raw = 32-byte QoS 1 messages received per second, windowed publishers.',
      catchUp:
        'From the first connect attempt to the last missed event delivered in order; Tether reads history with compact=false (fillers are chunks of one open message); Durable Streams is filled 100 events per append (one append per event costs minutes of LMDB commits).',
      lateJoin:
        'A new device of a participant joins during a 20 tok/s stream; from its first connect attempt to the first render of the partial message, then checked to follow the live stream with no gap or repeat.',
      footprint:
        'RSS of the server process after a full GC (lowest of three samples); per-session and per-client costs are growth of live memory (heap used + external); sessions created through the host; clients are TetherClients following one session each, connected after the first C sessions (see bench/workloads/footprint.ts).',
      singleStream:
        'One writer, one reader, tokens written as fast as the writer takes them; Tether coalesced = StreamWriter defaults (30 ms window), Durable Streams = IdempotentProducer defaults (5 ms linger) with an SSE reader.',
    },
    targets: [],
    failures,
    ...r,
  } as BenchResults;
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
    if (missing.length && failures.length === 0) {
      log(`FAILED: figures missing from the results: ${missing.join(', ')}`);
      return exit(1);
    }
    writeResults(outDir, r);
    log(`results in ${outDir} (latest.json, latest.md, latency.svg)`);
    if (failures.length) {
      log(`FAILED: ${failures.length} workload(s) failed: ${failures.map((f) => f.workload).join(', ')}`);
      return exit(1);
    }
    return exit(0);
  },
  async (err: Error) => {
    log(err instanceof BenchFailure ? `FAILED (correctness): ${err.message}` : `FAILED: ${err.stack ?? err.message}`);
    return exit(1);
  },
);
