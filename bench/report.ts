/**
 * The results of one run: the JSON document (every figure, the machine, versions, baselines,
 * ratios), the Markdown table, the latency chart, and the check that no figure is missing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { latencyChart } from './chart.ts';
import type { CatchUpResult } from './workloads/catch-up.ts';
import type { FootprintResult, RawFootprintResult } from './workloads/footprint.ts';
import type { LateJoinResult } from './workloads/late-join.ts';
import type { LatencyResult } from './workloads/latency.ts';
import type { SingleStreamResult } from './workloads/single-stream.ts';
import type { ThroughputResult } from './workloads/throughput.ts';

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

export interface BenchResults {
  generatedAt: string;
  mode: 'full' | 'quick';
  durationSeconds: number;
  machine: {
    cpus: number;
    model: string;
    memoryGB: number;
    node: string;
    platform: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    note: string;
  };
  versions: Record<string, string>;
  method: Record<string, string>;
  latency: { sessions: number; tether: LatencyResult; raw: LatencyResult; ratio: { p50: number | null; p99: number | null; max: number | null } }[];
  throughput: {
    tether: ThroughputResult & { eventsPerCommit: number; commitMsMean: number };
    tetherSyncNormal: ThroughputResult & { eventsPerCommit: number; commitMsMean: number };
    raw: ThroughputResult;
    ratio: number | null;
  };
  catchUp: {
    events: number;
    tether: CatchUpResult;
    tetherAfterRestart: CatchUpResult;
    offlineQueue: CatchUpResult;
    durableStreams: CatchUpResult;
    ratio: { vsOfflineQueue: number | null; vsDurableStreams: number | null };
  }[];
  lateJoin: LateJoinResult;
  footprint: { tether: FootprintResult; raw: RawFootprintResult; ratio: { perClient: number | null } };
  singleStream: {
    tetherCoalesced: SingleStreamResult;
    tetherUncoalesced: SingleStreamResult;
    durableStreams: SingleStreamResult;
    plainSse: SingleStreamResult;
    ratio: { coalescedVsDurableStreams: number | null; coalescedVsPlainSse: number | null };
  };
  targets: Target[];
}

/** Every number a complete run must have: paths whose value is missing or not finite. */
export function missingFigures(r: BenchResults): string[] {
  const missing: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (v === null || v === undefined) missing.push(path);
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) missing.push(path);
    } else if (Array.isArray(v)) {
      if (v.length === 0) missing.push(`${path} (empty)`);
      v.forEach((x, i) => walk(x, `${path}[${i}]`));
    } else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(r, '');
  if (r.latency.length < 2) missing.push('latency levels');
  if (r.catchUp.length < 2) missing.push('catchUp sizes');
  return missing;
}

const n = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? 'n/a' : x >= 1000 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 10 ** digits) / 10 ** digits));
const x = (r: number | null) => (r === null ? 'n/a' : `${r}x`);

export function markdown(r: BenchResults): string {
  const rows: string[][] = [];
  for (const l of r.latency) {
    rows.push([
      `Token latency, ${l.sessions.toLocaleString('en-US')} stream${l.sessions > 1 ? 's' : ''} x 20 tok/s (p50 / p99 / max ms)`,
      `${n(l.tether.p50, 2)} / ${n(l.tether.p99, 2)} / ${n(l.tether.max)}`,
      `raw MQTT QoS 1: ${n(l.raw.p50, 2)} / ${n(l.raw.p99, 2)} / ${n(l.raw.max)}`,
      `p99 ${x(l.ratio.p99)}`,
    ]);
  }
  const t = r.throughput;
  rows.push(['Durable throughput (accepted events/s)', n(t.tether.perSecond), `raw QoS 1 msgs/s: ${n(t.raw.perSecond)}`, x(t.ratio)]);
  rows.push(['Durable throughput, SQLite synchronous=NORMAL (events/s)', n(t.tetherSyncNormal.perSecond), '(FULL is the shipped default)', x(t.tether.perSecond ? Math.round((t.tetherSyncNormal.perSecond / t.tether.perSecond) * 100) / 100 : null)]);
  for (const c of r.catchUp) {
    rows.push([
      `Catch-up of ${c.events.toLocaleString('en-US')} missed events (ms)`,
      `${n(c.tether.ms)} (after restart: ${n(c.tetherAfterRestart.ms)})`,
      `broker offline queue: ${n(c.offlineQueue.ms)}; Durable Streams: ${n(c.durableStreams.ms)}`,
      `${x(c.ratio.vsOfflineQueue)} / ${x(c.ratio.vsDurableStreams)}`,
    ]);
  }
  rows.push(['Late join mid-stream, join to first partial render (p50 / p99 ms)', `${n(r.lateJoin.p50)} / ${n(r.lateJoin.p99)}`, '-', '-']);
  const f = r.footprint;
  rows.push([
    `Footprint, ${f.tether.sessions.toLocaleString('en-US')} sessions + ${f.tether.clients.toLocaleString('en-US')} clients (RSS MB)`,
    `${n(f.tether.withClientsMB)} (empty ${n(f.tether.emptyMB)})`,
    `bare Aedes + ${f.raw.clients.toLocaleString('en-US')} raw clients: ${n(f.raw.withClientsMB)}`,
    '-',
  ]);
  rows.push(['Footprint per session / per client (KB)', `${n(f.tether.perSessionKB)} / ${n(f.tether.perClientKB)}`, `raw per client: ${n(f.raw.perClientKB)}`, `per client ${x(f.ratio.perClient)}`]);
  const s = r.singleStream;
  rows.push([
    'Single-stream token throughput (tokens/s)',
    `${n(s.tetherCoalesced.tokensPerSecond)} coalesced; ${n(s.tetherUncoalesced.tokensPerSecond)} uncoalesced`,
    `Durable Streams: ${n(s.durableStreams.tokensPerSecond)}; plain SSE: ${n(s.plainSse.tokensPerSecond)}`,
    `${x(s.ratio.coalescedVsDurableStreams)} / ${x(s.ratio.coalescedVsPlainSse)}`,
  ]);
  const table = [
    '| workload | Tether | baselines (same run) | Tether / baseline |',
    '|---|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
  const targets = ['| target (ARCHITECTURE 9) | wanted | measured | met |', '|---|---|---|---|', ...r.targets.map((g) => `| ${g.name} | ${g.target} | ${g.value} | ${g.met ? 'yes' : '**no**'} |`)].join('\n');
  const m = r.machine;
  return [
    `Run of ${r.generatedAt} (${r.mode}, ${Math.round(r.durationSeconds)} s): ${m.cpus} x ${m.model}, ${m.memoryGB} GB, Node ${m.node}; load average ${m.loadAverageAtStart.map((v) => v.toFixed(1)).join(' ')} at start. ${m.note}`,
    '',
    table,
    '',
    targets,
    '',
  ].join('\n');
}

export function writeResults(dir: string, r: BenchResults): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.md'), markdown(r));
  const colors = { tether: '#1f6feb', raw: '#d1242f' };
  const svg = latencyChart(
    r.latency.map((l) => ({
      title: `${l.sessions.toLocaleString('en-US')} stream${l.sessions > 1 ? 's' : ''} x 20 tok/s`,
      series: [
        { label: 'Tether (agent -> host -> log -> human)', color: colors.tether, curve: l.tether.curve },
        { label: 'raw mqtt.js QoS 1, same broker version', color: colors.raw, dashed: true, curve: l.raw.curve },
      ],
    })),
    `Token latency distribution, ${r.generatedAt.slice(0, 10)}, ${r.mode} run on a shared ${r.machine.cpus}-core machine`,
  );
  writeFileSync(join(dir, 'latency.svg'), svg);
}
