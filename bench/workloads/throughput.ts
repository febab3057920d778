/**
 * Workload 2, durable throughput: how many events per second one host accepts (validates,
 * sequences, commits to SQLite, publishes, acknowledges) under sustained load. S agents stream
 * uncoalesced token deltas into S sessions as fast as the library's window lets them; a human per
 * session renders every event. Accepted = acks received in the measured interval. Raw: S QoS 1
 * publishers (windowed) and S subscribers on a bare Aedes, 32-byte payloads; counted on receipt.
 */
import type { MqttClient } from 'mqtt';
import type { MessageFold } from '../../clients/lib/message-fold.ts';
import { closePairs, openPairs } from '../pairs.ts';
import { WindowedPublisher, connectRaw, endAll } from '../raw-mqtt.ts';
import { BenchFailure, check, sleep, waitUntil } from '../stats.ts';

export interface ThroughputConfig {
  streams: number;
  warmupSeconds: number;
  seconds: number;
  /** Unacknowledged commands per stream (StreamWriter maxUnacked) / raw in-flight window. */
  window: number;
}

export interface ThroughputResult {
  streams: number;
  /** Events (raw: messages) per second in the measured interval. */
  perSecond: number;
  measuredEvents: number;
  totalEvents: number;
  /** Server process CPU use in the measured interval, in cores (1.0 = one core busy). */
  serverCores?: number;
}

/** Counts of the measured interval: the counter at the start and end marks. */
async function measure(
  count: () => number,
  cfg: ThroughputConfig,
  cpu?: () => Promise<number>,
): Promise<{ n: number; seconds: number; cores?: number }> {
  await sleep(cfg.warmupSeconds * 1000);
  const c0 = count();
  const cpu0 = await cpu?.();
  const t0 = performance.now();
  await sleep(cfg.seconds * 1000);
  const c1 = count();
  const cpu1 = await cpu?.();
  const seconds = (performance.now() - t0) / 1000;
  return { n: c1 - c0, seconds, cores: cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / 1e6 / seconds : undefined };
}

const tok = (i: number) => ` t${i}`;

export async function tetherThroughput(url: string, cfg: ThroughputConfig, serverCpu?: () => Promise<number>): Promise<ThroughputResult> {
  const pairs = await openPairs(url, cfg.streams, 'thr');
  try {
    const msgId = 'm-thr';
    const folds: MessageFold[] = [];
    const next = new Float64Array(cfg.streams);
    const done = new Uint8Array(cfg.streams);
    const errors: string[] = [];
    await Promise.all(
      pairs.map((p, k) =>
        p.human.watch(p.sid, 0, (item, messages) => {
          folds[k] = messages;
          if (item.kind !== 'event') return void errors.push(`${p.sid}: unexpected reset`);
          const d = item.event.data as { msgId?: string; i?: number; n?: number };
          if (item.event.type === 'message.delta') {
            if (d.i !== next[k]) errors.push(`${p.sid}: chunk ${d.i} after ${next[k] - 1}`);
            next[k] = d.i! + (d.n ?? 1);
          } else if (item.event.type === 'message.completed') done[k] = 1;
        }),
      ),
    );
    const writers = await Promise.all(pairs.map((p) => p.agent.stream(p.sid, msgId, { windowMs: 0, maxUnacked: cfg.window })));
    await Promise.all(writers.map((w) => w.started));
    let stop = false;
    const written = new Float64Array(cfg.streams);
    const loops = writers.map(async (w, k) => {
      while (!stop) {
        await w.write(tok(written[k]));
        written[k]++;
      }
    });
    // Acknowledged chunks (accepted events): chunks sent minus those still unacknowledged.
    const acked = () => writers.reduce((sum, w) => sum + w.chunks - w.unacked, 0);
    const m = await measure(acked, cfg, serverCpu);
    stop = true;
    await Promise.all(loops);
    await Promise.all(writers.map((w) => w.complete()));
    await waitUntil(
      () => errors.length > 0 || done.every((x) => x === 1),
      120_000,
      () => 'humans did not see every message.completed',
    );
    if (errors.length) throw new BenchFailure(`throughput: ${errors.slice(0, 5).join('; ')}`);
    folds.forEach((f, k) => {
      check(next[k] === writers[k].chunks, `${pairs[k].sid}: ${next[k]} of ${writers[k].chunks} chunks rendered`);
      let expected = '';
      for (let i = 0; i < written[k]; i++) expected += tok(i);
      check(f.get(msgId)?.text === expected, `${pairs[k].sid}: final text differs from the chunks written`);
    });
    return {
      streams: cfg.streams,
      perSecond: Math.round(m.n / m.seconds),
      measuredEvents: m.n,
      totalEvents: writers.reduce((a, w) => a + w.chunks, 0),
      serverCores: m.cores,
    };
  } finally {
    await closePairs(pairs);
  }
}

export async function rawThroughput(url: string, cfg: ThroughputConfig, serverCpu?: () => Promise<number>): Promise<ThroughputResult> {
  const clients: MqttClient[] = [];
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const received = new Float64Array(cfg.streams);
  const errors: string[] = [];
  try {
    const pubs = await Promise.all(
      Array.from({ length: cfg.streams }, async (_, k) => {
        const sub = await connectRaw(url, (_t, payload) => {
          const i = payload.readUInt32BE(0);
          if (i !== received[k]) errors.push(`raw stream ${k}: message ${i} after ${received[k] - 1}`);
          received[k] = i + 1;
        });
        clients.push(sub);
        await sub.subscribeAsync(`bench/thr/${tag}/${k}`, { qos: 1 });
        const pub = await connectRaw(url);
        clients.push(pub);
        return new WindowedPublisher(pub, cfg.window);
      }),
    );
    let stop = false;
    const sent = new Float64Array(cfg.streams);
    const loops = pubs.map(async (p, k) => {
      const payload = Buffer.alloc(32, 0x61);
      while (!stop) {
        const b = Buffer.from(payload);
        b.writeUInt32BE(sent[k]++, 0);
        await p.publish(`bench/thr/${tag}/${k}`, b);
      }
      await p.drained();
    });
    const m = await measure(() => received.reduce((a, b) => a + b, 0), cfg, serverCpu);
    stop = true;
    await Promise.all(loops);
    await waitUntil(
      () => errors.length > 0 || received.every((r, k) => r === sent[k]),
      30_000,
      () => 'raw subscribers are missing messages',
    );
    if (errors.length) throw new BenchFailure(`raw throughput: ${errors.slice(0, 5).join('; ')}`);
    return {
      streams: cfg.streams,
      perSecond: Math.round(m.n / m.seconds),
      measuredEvents: m.n,
      totalEvents: sent.reduce((a, b) => a + b, 0),
      serverCores: m.cores,
    };
  } finally {
    await endAll(clients);
  }
}
