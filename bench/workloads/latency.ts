/**
 * Workload 1, token latency: N sessions, each with an agent streaming tokens at a fixed rate and
 * a human client rendering them. Tether: agent StreamWriter -> broker -> host (validate, seq,
 * SQLite commit) -> broker -> human SessionFeed -> MessageFold; a token's latency is from the
 * agent's write() to the fold applying it. Raw: one mqtt.js QoS 1 publisher and one subscriber
 * per stream on a bare Aedes, publish() to 'message'. Streams start spread over one token interval.
 */
import type { MqttClient } from 'mqtt';
import type { MessageFold } from '../../clients/lib/message-fold.ts';
import { closePairs, openPairs } from '../pairs.ts';
import { connectRaw, endAll } from '../raw-mqtt.ts';
import { BenchFailure, Samples, check, pool, summarize, waitUntil, type LatencySummary } from '../stats.ts';

export interface LatencyConfig {
  sessions: number;
  tokensPerSecond: number;
  seconds: number;
  /** Tokens per stream left out of the figures (connection warm-up, JIT). */
  warmupTokens: number;
  /**
   * How long to wait for the last tokens after the last write. A system that cannot keep up is
   * not waited for indefinitely: tokens still unrendered then count with the time waited so far
   * (`censored`), so the percentiles become lower bounds. Order and content of everything rendered
   * are still checked.
   */
  drainLimitMs: number;
  /**
   * StreamWriter coalescing window. 0 (default here): every token is its own chunk, as the raw
   * baseline publishes every token; the library's default (30 ms) trades latency for fewer events.
   */
  windowMs?: number;
}

export interface LatencyResult extends LatencySummary {
  sessions: number;
  tokensPerStream: number;
  /** Tokens per second offered by the load generator, all streams together. */
  offeredRate: number;
  /** Tokens per second actually sent (lower when the load generator fell behind). */
  sentRate: number;
  /** Tokens per second rendered, from the first write to the last render (lower: a backlog built up). */
  renderedRate: number;
  /** From the last write to the last render: how long the backlog took to drain. */
  drainMs: number;
  /** Tokens not rendered within drainLimitMs of the last write (0: every token arrived). */
  censored: number;
  /** Wall time of each phase (ms): connecting and joining, streaming, draining, completing, closing. */
  phases?: Record<string, number>;
}

/** Adds the tokens never rendered as samples of the time they had waited at `until`. */
function censor(samples: Samples, sent: Float64Array[], next: Int32Array, warmup: number, until: number): number {
  let n = 0;
  sent.forEach((times, k) => {
    for (let t = next[k]; t < times.length; t++) {
      n++;
      if (t >= warmup) samples.push(until - times[t]);
    }
  });
  return n;
}

const token = (i: number) => ` w${i}`;

/** Calls send(k, i) for every token of every stream on a shared drift-free timeline. */
async function schedule(streams: number, cfg: LatencyConfig, send: (k: number, i: number) => void): Promise<number> {
  const interval = 1000 / cfg.tokensPerSecond;
  const total = cfg.tokensPerSecond * cfg.seconds;
  const t0 = performance.now() + 50;
  await Promise.all(
    Array.from(
      { length: streams },
      (_, k) =>
        new Promise<void>((resolve) => {
          const offset = (k / streams) * interval;
          let i = 0;
          const tick = () => {
            send(k, i++);
            if (i === total) return resolve();
            setTimeout(tick, Math.max(0, t0 + offset + i * interval - performance.now()));
          };
          setTimeout(tick, Math.max(0, t0 + offset - performance.now()));
        }),
    ),
  );
  return performance.now() - t0;
}

/** The result of a run, Tether or raw alike: rates from the times of the first write, last write and last render. */
function figures(
  cfg: LatencyConfig,
  total: number,
  samples: Samples,
  censored: number,
  t: { first: number; lastSent: number; lastRender: number; elapsed: number },
): LatencyResult {
  const n = cfg.sessions;
  return {
    sessions: n,
    tokensPerStream: total,
    offeredRate: n * cfg.tokensPerSecond,
    sentRate: Math.round((n * total) / (t.elapsed / 1000)),
    renderedRate: Math.round((n * total - censored) / ((t.lastRender - t.first) / 1000)),
    drainMs: Math.max(0, Math.round(t.lastRender - t.lastSent)),
    censored,
    ...summarize(samples.values()),
  };
}

export async function tetherLatency(url: string, cfg: LatencyConfig): Promise<LatencyResult> {
  const n = cfg.sessions;
  const total = cfg.tokensPerSecond * cfg.seconds;
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    mark = now;
  };
  const pairs = await openPairs(url, n, `lat${n}`);
  const errors: string[] = [];
  let result: LatencyResult | undefined;
  try {
    const msgId = 'm-lat';
    const sent = pairs.map(() => new Float64Array(total));
    // Where each token ends in the message text: a chunk may carry several tokens (the writer
    // joins what was written while its window was full), so tokens are matched by text length.
    const ends = new Int32Array(total);
    for (let i = 0, len = 0; i < total; i++) ends[i] = len += token(i).length;
    const nextToken = new Int32Array(n);
    const nextChunk = new Int32Array(n);
    const completed = new Uint8Array(n);
    const folds: MessageFold[] = [];
    const samples = new Samples();
    let lastRender = 0;
    await pool(pairs, 100, (p, k) =>
      p.human.watch(p.sid, 0, (item, messages) => {
        const now = performance.now();
        folds[k] = messages;
        if (item.kind !== 'event') return void errors.push(`${p.sid}: unexpected reset`);
        const e = item.event;
        const d = e.data as { msgId?: string; i?: number; n?: number };
        if (e.type === 'message.delta' && d.msgId === msgId) {
          const view = messages.get(msgId)!;
          if (d.i !== nextChunk[k])
            errors.push(`${p.sid}: chunk ${d.i} rendered after chunk ${nextChunk[k] - 1} (lost, repeated or reordered)`);
          nextChunk[k] = d.i! + (d.n ?? 1);
          let t = nextToken[k];
          while (t < total && ends[t] <= view.text.length) {
            if (t >= cfg.warmupTokens) samples.push(now - sent[k][t]);
            t++;
          }
          if (t < total && t > 0 && view.text.length !== ends[t - 1]) errors.push(`${p.sid}: rendered text ends inside token ${t}`);
          nextToken[k] = t;
          lastRender = now;
        } else if (e.type === 'message.completed' && d.msgId === msgId) completed[k] = 1;
      }),
    );
    const writers = await pool(pairs, 100, (p) => p.agent.stream(p.sid, msgId, { windowMs: cfg.windowMs ?? 0 }));
    await Promise.all(writers.map((w) => w.started));
    await waitUntil(
      () => pairs.every((_, k) => folds[k]?.get(msgId)),
      30_000,
      () => 'humans did not see message.started',
    );
    phase('connect');
    const first = performance.now();
    const elapsed = await schedule(n, cfg, (k, i) => {
      sent[k][i] = performance.now();
      writers[k].write(token(i)).catch((err: Error) => errors.push(`${pairs[k].sid}: write ${i} failed: ${err.message}`));
    });
    const lastSent = performance.now();
    phase('stream');
    await waitUntil(
      () => errors.length > 0 || nextToken.every((x) => x === total) || performance.now() - lastSent > cfg.drainLimitMs,
      cfg.drainLimitMs + 5_000,
      () => 'drain',
    );
    const stopped = performance.now();
    phase('drain');
    if (errors.length) throw new BenchFailure(`latency x${n}: ${errors.slice(0, 5).join('; ')}`);
    const censored = censor(samples, sent, nextToken, cfg.warmupTokens, stopped);
    const expected = Array.from({ length: total }, (_, i) => token(i)).join('');
    if (censored === 0) {
      await Promise.all(writers.map((w) => w.complete()));
      await waitUntil(
        () => errors.length > 0 || completed.every((c) => c === 1),
        60_000,
        () => `${completed.filter((c) => !c).length} of ${n} humans did not see message.completed`,
      );
      if (errors.length) throw new BenchFailure(`latency x${n}: ${errors.slice(0, 5).join('; ')}`);
    }
    phase('complete');
    folds.forEach((f, k) => {
      const v = f.get(msgId)!;
      if (censored === 0)
        check(
          v.status === 'ok' && v.text === expected,
          `${pairs[k].sid}: final text differs from the tokens written (lost or repeated token)`,
        );
      else
        check(expected.startsWith(v.text), `${pairs[k].sid}: rendered text is not a prefix of the tokens written (lost or repeated token)`);
    });
    check(
      samples.length === n * (total - cfg.warmupTokens),
      `latency x${n}: ${samples.length} samples, expected ${n * (total - cfg.warmupTokens)}`,
    );
    result = { phases, ...figures(cfg, total, samples, censored, { first, lastSent, lastRender, elapsed }) };
  } finally {
    await closePairs(pairs);
  }
  phase('close');
  return result;
}

export async function rawLatency(url: string, cfg: LatencyConfig): Promise<LatencyResult> {
  const n = cfg.sessions;
  const total = cfg.tokensPerSecond * cfg.seconds;
  const sent = Array.from({ length: n }, () => new Float64Array(total));
  const next = new Int32Array(n);
  const samples = new Samples();
  const errors: string[] = [];
  const clients: MqttClient[] = [];
  let lastRender = 0;
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  try {
    const pubs = await pool(
      Array.from({ length: n }, (_, k) => k),
      50,
      async (k) => {
        const sub = await connectRaw(url, (_topic, payload) => {
          const now = performance.now();
          const m = JSON.parse(payload.toString('utf8')) as { i: number; t: string };
          if (m.i !== next[k]) errors.push(`raw stream ${k}: token ${m.i} after ${next[k] - 1}`);
          if (m.i >= cfg.warmupTokens) samples.push(now - sent[k][m.i]);
          next[k] = m.i + 1;
          lastRender = now;
        });
        clients.push(sub);
        await sub.subscribeAsync(`bench/lat/${tag}/${k}`, { qos: 1 });
        const pub = await connectRaw(url);
        clients.push(pub);
        return pub;
      },
    );
    const first = performance.now();
    const elapsed = await schedule(n, cfg, (k, i) => {
      sent[k][i] = performance.now();
      pubs[k].publish(`bench/lat/${tag}/${k}`, JSON.stringify({ i, t: token(i) }), { qos: 1 });
    });
    const lastSent = performance.now();
    await waitUntil(
      () => errors.length > 0 || next.every((x) => x === total) || performance.now() - lastSent > cfg.drainLimitMs,
      cfg.drainLimitMs + 5_000,
      () => 'drain',
    );
    const stopped = performance.now();
    if (errors.length) throw new BenchFailure(`raw latency x${n}: ${errors.slice(0, 5).join('; ')}`);
    const censored = censor(samples, sent, next, cfg.warmupTokens, stopped);
    check(
      samples.length === n * (total - cfg.warmupTokens),
      `raw latency x${n}: ${samples.length} samples, expected ${n * (total - cfg.warmupTokens)}`,
    );
    return figures(cfg, total, samples, censored, { first, lastSent, lastRender, elapsed });
  } finally {
    await endAll(clients);
  }
}
