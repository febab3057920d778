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

/** A figure, or why it could not be measured (a correctness failure or a crash). */
export type Outcome<T> = T | { failed: string } | { skipped: string };

/** The figure of an outcome, or undefined when the workload failed or was skipped. */
export const ok = <T>(x: Outcome<T> | undefined): T | undefined =>
  x && typeof x === 'object' && ('failed' in x || 'skipped' in x) ? undefined : (x as T | undefined);
function why(x: Outcome<unknown> | undefined): string {
  if (x && typeof x === 'object' && 'failed' in x) return `FAILED: ${(x as { failed: string }).failed.slice(0, 160)}`;
  if (x && typeof x === 'object' && 'skipped' in x) return `not measured (${(x as { skipped: string }).skipped})`;
  return 'n/a';
}

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
    /** fdatasync of a 4 KB block in the servers' temp directory, p50 and worst of 50. */
    fdatasyncMsAtStart: { p50: number; p99: number };
    fdatasyncMsAtEnd: { p50: number; p99: number };
    note: string;
  };
  versions: Record<string, string>;
  method: Record<string, string>;
  latency: {
    sessions: number;
    tether: Outcome<LatencyResult>;
    /** The host in its own process next to a bare Aedes (two cores instead of one event loop). */
    tetherSplit: Outcome<LatencyResult>;
    raw: Outcome<LatencyResult>;
    ratio: { p50: number | null; p99: number | null; max: number | null; splitP99?: number | null };
  }[];
  throughput: {
    tether: Outcome<ThroughputResult & { eventsPerCommit: number; commitMsMean: number }>;
    tetherSyncNormal: Outcome<ThroughputResult & { eventsPerCommit: number; commitMsMean: number }>;
    tetherSplit: Outcome<ThroughputResult>;
    raw: Outcome<ThroughputResult>;
    ratio: number | null;
    splitRatio: number | null;
  };
  catchUp: {
    events: number;
    tether: Outcome<CatchUpResult>;
    tetherAfterRestart: Outcome<CatchUpResult>;
    offlineQueue: Outcome<CatchUpResult>;
    durableStreams: Outcome<CatchUpResult>;
    ratio: { vsOfflineQueue?: number | null; vsDurableStreams: number | null };
  }[];
  lateJoin: Outcome<LateJoinResult>;
  footprint: { tether: Outcome<FootprintResult>; raw: Outcome<RawFootprintResult>; ratio: { perClient: number | null } };
  singleStream: {
    tetherCoalesced: Outcome<SingleStreamResult>;
    tetherUncoalesced: Outcome<SingleStreamResult>;
    durableStreams: Outcome<SingleStreamResult>;
    plainSse: Outcome<SingleStreamResult>;
    ratio: { coalescedVsDurableStreams: number | null; coalescedVsPlainSse: number | null };
  };
  /** Workloads that saw a lost, repeated or wrong event, or whose server crashed. */
  failures: { workload: string; message: string }[];
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
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
    } else if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) if (k !== 'failures' || path) walk(x, path ? `${path}.${k}` : k);
    }
  };
  walk(r, '');
  if ((r.latency?.length ?? 0) < 2) missing.push('latency levels');
  if ((r.catchUp?.length ?? 0) < 2) missing.push('catchUp sizes');
  for (const w of ['latency', 'throughput', 'catchUp', 'lateJoin', 'footprint', 'singleStream'] as const) if (!r[w]) missing.push(w);
  return missing;
}

const n = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined
    ? 'n/a'
    : x >= 1000
      ? Math.round(x).toLocaleString('en-US')
      : String(Math.round(x * 10 ** digits) / 10 ** digits);
const x = (r: number | null | undefined) => (r === null || r === undefined ? 'n/a' : `${r}x`);

export function markdown(r: BenchResults): string {
  const rows: string[][] = [];
  const lat = (l: LatencyResult | undefined, o: Outcome<LatencyResult>) => {
    if (!l) return why(o);
    const ge = l.censored > 0 ? '>= ' : '';
    const figures = `${n(l.p50, 2)} / ${ge}${n(l.p99, 2)} / ${ge}${n(l.max)}`;
    if (l.censored > 0)
      return `${figures} (overloaded: ${l.censored.toLocaleString('en-US')} of ${(l.sessions * l.tokensPerStream).toLocaleString('en-US')} tokens still unrendered when the run stopped waiting for them)`;
    if (l.renderedRate < 0.9 * l.offeredRate) return `${figures} (rendered ${n(l.renderedRate)} of ${n(l.offeredRate)} tok/s offered)`;
    return figures;
  };
  for (const l of r.latency ?? []) {
    rows.push([
      `Token latency, ${l.sessions.toLocaleString('en-US')} stream${l.sessions > 1 ? 's' : ''} x 20 tok/s (p50 / p99 / max ms)`,
      lat(ok(l.tether), l.tether),
      `raw MQTT QoS 1: ${lat(ok(l.raw), l.raw)}`,
      `p99 ${x(l.ratio.p99)}`,
    ]);
    rows.push(['  same, host in its own process', lat(ok(l.tetherSplit), l.tetherSplit), '(same raw run)', `p99 ${x(l.ratio.splitP99)}`]);
  }
  const t = r.throughput;
  if (t) {
    const tt = ok(t.tether);
    const tn = ok(t.tetherSyncNormal);
    rows.push([
      'Durable throughput (accepted events/s)',
      tt ? `${n(tt.perSecond)} (${tt.eventsPerCommit} events per commit)` : why(t.tether),
      `raw QoS 1 msgs/s: ${ok(t.raw) ? n(ok(t.raw)!.perSecond) : why(t.raw)}`,
      x(t.ratio),
    ]);
    rows.push([
      '  same, host in its own process (events/s)',
      ok(t.tetherSplit) ? n(ok(t.tetherSplit)!.perSecond) : why(t.tetherSplit),
      '(same raw run)',
      x(t.splitRatio),
    ]);
    rows.push([
      '  same, SQLite synchronous=NORMAL (events/s)',
      tn ? n(tn.perSecond) : why(t.tetherSyncNormal),
      '(FULL, the shipped default, above)',
      x(tt && tn && tt.perSecond ? Math.round((tn.perSecond / tt.perSecond) * 100) / 100 : null),
    ]);
  }
  for (const c of r.catchUp ?? []) {
    const a = ok(c.tether);
    const b = ok(c.tetherAfterRestart);
    rows.push([
      `Catch-up of ${c.events.toLocaleString('en-US')} missed events (ms)`,
      a ? `${n(a.ms)} (after broker+host restart: ${b ? n(b.ms) : why(c.tetherAfterRestart)})` : why(c.tether),
      `broker offline queue: ${ok(c.offlineQueue) ? n(ok(c.offlineQueue)!.ms) : why(c.offlineQueue)}; Durable Streams: ${ok(c.durableStreams) ? n(ok(c.durableStreams)!.ms) : why(c.durableStreams)}`,
      `${x(c.ratio.vsOfflineQueue)} / ${x(c.ratio.vsDurableStreams)}`,
    ]);
  }
  const lj = ok(r.lateJoin);
  if (r.lateJoin)
    rows.push([
      'Late join mid-stream, join to first partial render (p50 / p99 ms)',
      lj ? `${n(lj.p50)} / ${n(lj.p99)}` : why(r.lateJoin),
      '-',
      '-',
    ]);
  const f = r.footprint;
  if (f) {
    const ft = ok(f.tether);
    const fr = ok(f.raw);
    rows.push([
      `Footprint, ${ft ? `${ft.sessions.toLocaleString('en-US')} sessions + ${ft.clients.toLocaleString('en-US')} clients` : 'sessions + clients'} (RSS MB)`,
      ft ? `${n(ft.totalMB)} (empty ${n(ft.emptyMB)})` : why(f.tether),
      fr ? `bare Aedes + ${fr.clients.toLocaleString('en-US')} raw clients: ${n(fr.withClientsMB)}` : why(f.raw),
      '-',
    ]);
    rows.push([
      'Footprint per session / per client (KB of live heap)',
      ft
        ? `${n(ft.perSessionKB)} / ${n(ft.perClientKB)} (clients joined at ${n(ft.clientsPerSecond)}/s with ${ft.clients.toLocaleString('en-US')} sessions stored)`
        : why(f.tether),
      `raw per client: ${fr ? n(fr.perClientKB) : why(f.raw)}`,
      `per client ${x(f.ratio.perClient)}`,
    ]);
  }
  const s = r.singleStream;
  if (s) {
    const tps = (o: Outcome<SingleStreamResult>) => (ok(o) ? n(ok(o)!.tokensPerSecond) : why(o));
    rows.push([
      'Single-stream token throughput (tokens/s)',
      `${tps(s.tetherCoalesced)} coalesced; ${tps(s.tetherUncoalesced)} uncoalesced`,
      `Durable Streams: ${tps(s.durableStreams)}; plain SSE: ${tps(s.plainSse)}`,
      `${x(s.ratio.coalescedVsDurableStreams)} / ${x(s.ratio.coalescedVsPlainSse)}`,
    ]);
  }
  const table = [
    '| workload | Tether | baselines (same run) | Tether / baseline |',
    '|---|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
  const targets = [
    '| target | wanted | measured | met |',
    '|---|---|---|---|',
    ...r.targets.map((g) => `| ${g.name} | ${g.target} | ${g.value} | ${g.met ? 'yes' : '**no**'} |`),
  ].join('\n');
  const failures = r.failures.length ? ['', '**Failures:**', ...r.failures.map((f) => `- ${f.workload}: ${f.message}`)].join('\n') : '';
  const m = r.machine;
  return [
    `Run of ${r.generatedAt} (${r.mode}, ${Math.round(r.durationSeconds)} s): ${m.cpus} x ${m.model}, ${m.memoryGB} GB, Node ${m.node}; ` +
      `load average ${m.loadAverageAtStart[0].toFixed(1)} at start, ${m.loadAverageAtEnd[0].toFixed(1)} at end; ` +
      `disk fdatasync p50 ${m.fdatasyncMsAtStart.p50} ms (worst of 50: ${m.fdatasyncMsAtStart.p99} ms) at start, ${m.fdatasyncMsAtEnd.p50} ms at end. ${m.note}`,
    '',
    table,
    '',
    targets,
    failures,
    '',
  ].join('\n');
}

export function writeResults(dir: string, r: BenchResults): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.md'), markdown(r));
  const colors = { tether: '#1f6feb', split: '#2da44e', raw: '#d1242f' };
  const svg = latencyChart(
    (r.latency ?? []).map((l) => ({
      title: `${l.sessions.toLocaleString('en-US')} stream${l.sessions > 1 ? 's' : ''} x 20 tok/s${ok(l.tether) ? '' : ' (Tether failed)'}`,
      series: [
        { label: 'Tether (agent -> host -> log -> human)', color: colors.tether, curve: ok(l.tether)?.curve ?? [] },
        { label: 'Tether, host in its own process', color: colors.split, curve: ok(l.tetherSplit)?.curve ?? [] },
        { label: 'raw mqtt.js QoS 1, same broker version', color: colors.raw, dashed: true, curve: ok(l.raw)?.curve ?? [] },
      ],
    })),
    `Token latency distribution, ${r.generatedAt.slice(0, 10)}, ${r.mode} run on a shared ${r.machine.cpus}-core machine`,
  );
  writeFileSync(join(dir, 'latency.svg'), svg);
}
