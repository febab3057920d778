/** Latency summaries, the correctness failure every workload throws, and small timing helpers. */

/** A correctness failure (lost, repeated or reordered event, wrong content): the run fails loudly. */
export class BenchFailure extends Error {
  override name = 'BenchFailure';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BenchFailure(message);
}

export interface LatencySummary {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** Latency (ms) at the percentiles of PERCENTILE_POINTS, for the chart. */
  curve: number[];
}

/** Percentiles plotted in the latency chart: 0..99 by 1, then the tail. */
export const PERCENTILE_POINTS: number[] = [...Array.from({ length: 100 }, (_, i) => i), 99.5, 99.9, 99.99, 100];

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function at(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(values: Float64Array | number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    samples: sorted.length,
    p50: round(at(sorted, 50)),
    p90: round(at(sorted, 90)),
    p99: round(at(sorted, 99)),
    p999: round(at(sorted, 99.9)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(sorted.length ? sum / sorted.length : NaN),
    curve: PERCENTILE_POINTS.map((p) => round(at(sorted, p))),
  };
}

/** A growable sample buffer (Float64Array-backed, no per-sample allocation). */
export class Samples {
  private buf = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when cond() holds (polled), or throws BenchFailure with what() after timeoutMs. */
export async function waitUntil(cond: () => boolean, timeoutMs: number, what: () => string, pollMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new BenchFailure(`timed out after ${timeoutMs} ms: ${what()}`);
    await sleep(pollMs);
  }
}

/** Runs fn over items with at most `limit` running at once. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? round(a / b, 2) : null;
export { round };
