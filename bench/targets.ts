/** The performance targets, read off a run's results (met or not, never asserted in tests). */
import { ok, type BenchResults, type Target } from './report.ts';

export function targets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const top = r.latency?.at(-1);
  if (top) {
    const t = ok(top.tether);
    const b = ok(top.raw);
    out.push({
      name: `token p99 at ${top.sessions} streams within 2x raw`,
      target: '<= 2x',
      value: t && b ? `${top.ratio.p99}x (${t.p99} vs ${b.p99} ms)` : 'failed',
      met: (top.ratio.p99 ?? Infinity) <= 2,
    });
  }
  if (r.throughput) {
    const t = ok(r.throughput.tether);
    out.push({
      name: 'durable events/s through one host',
      target: '>= 35,000',
      value: t ? `${t.perSecond}` : 'failed',
      met: (t?.perSecond ?? 0) >= 35_000,
    });
    out.push({
      name: 'durable events/s vs raw QoS 1, same run',
      target: '>= 0.5x',
      value: `${r.throughput.ratio}x`,
      met: (r.throughput.ratio ?? 0) >= 0.5,
    });
  }
  const c = r.catchUp?.find((x) => x.events === 10_000) ?? r.catchUp?.[0];
  if (c) {
    const a = ok(c.tether);
    const b = ok(c.tetherAfterRestart);
    out.push({
      name: `catch-up of ${c.events} missed events`,
      target: '<= 40 ms',
      value: a && b ? `${a.ms} ms (after restart ${b.ms} ms)` : 'failed',
      met: !!a && !!b && a.ms <= 40 && b.ms <= 40,
    });
  }
  const f = r.footprint && ok(r.footprint.tether);
  if (f)
    out.push({
      name: `${f.sessions} sessions + ${f.clients} clients`,
      target: 'well under 1 GB',
      value: `${f.totalMB} MB RSS`,
      met: f.totalMB < 512,
    });
  return out;
}
