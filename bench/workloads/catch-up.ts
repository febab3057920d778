/**
 * Workload 3, catch-up: a client that missed N events until it holds them all, in order, each
 * once. Timed from the client's first connect attempt to the N-th event delivered.
 *   Tether: see tetherCatchUp; the human reconnects (library transport, clean session) and its
 *     SessionFeed pages history from lastSeq.
 *   Offline queue: the same N payloads queued by a bare Aedes for a clean=false QoS 1 subscriber.
 *   Durable Streams: its own client reads the stream from offset -1 (catch-up read, file store).
 */
import { DurableStream, stream } from '@durable-streams/client';
import type { MqttClient } from 'mqtt';
import type { EventEnvelope } from '../../schemas/src/index.ts';
import { FILLER_MSG, fillerText, peerEvent } from '../events.ts';
import { openPairs } from '../pairs.ts';
import { BenchParticipant } from '../participant.ts';
import { WindowedPublisher, connectRaw, endAll } from '../raw-mqtt.ts';
import type { ServerHandle } from '../server-handle.ts';
import { BenchFailure, check, round, waitUntil } from '../stats.ts';

export interface CatchUpResult {
  events: number;
  ms: number;
  eventsPerSecond: number;
  /** MQTT messages or HTTP requests the catch-up took (history pages, queued messages, GETs). */
  roundTrips?: number;
  /** How long filling the log took (not part of the figure). */
  fillMs?: number;
}

/** One reconnecting human device reading seq 3..n+2 with compact=false, checked as it goes. */
async function catchUpOnce(url: string, principal: string, sid: string, n: number): Promise<CatchUpResult> {
  let last = 2;
  const errors: string[] = [];
  let t1 = 0;
  const t0 = performance.now();
  const back = BenchParticipant.begin(url, principal);
  try {
    const session = await back.watch(
      sid,
      2,
      (item) => {
        if (item.kind !== 'event') return void errors.push('unexpected reset');
        const e: EventEnvelope = item.event;
        const d = e.data as { msgId?: string; i?: number; text?: string };
        if (e.seq !== last + 1) errors.push(`seq ${e.seq} delivered after ${last}`);
        else if (e.type !== 'message.delta' || d.msgId !== FILLER_MSG || d.i !== e.seq - 3 || d.text !== fillerText(e.seq - 3))
          errors.push(`seq ${e.seq} has the wrong content`);
        last = e.seq;
        if (last === n + 2) t1 = performance.now();
      },
      { compact: false },
    );
    await waitUntil(
      () => t1 > 0 || errors.length > 0,
      120_000,
      () => `caught up to seq ${last} of ${n + 2}`,
    );
    if (errors.length) throw new BenchFailure(`tether catch-up ${n}: ${errors.slice(0, 5).join('; ')}`);
    const ms = t1 - t0;
    return { events: n, ms: round(ms), eventsPerSecond: Math.round(n / (ms / 1000)), roundTrips: session.stats.pages };
  } finally {
    await back.close();
  }
}

/**
 * Tether catch-up. The human saw message.started (seq 2) and left; the agent then streamed n
 * chunks (seq 3..n+2) into the open message; a device of the human comes back and reads them with
 * compact=false, so every event travels as the peers' do. Then the server process is restarted
 * (host and broker together; Aedes keeps no queue across it) and another device catches up the same.
 */
export async function tetherCatchUp(
  server: ServerHandle,
  n: number,
  restart: () => Promise<ServerHandle>,
): Promise<{ cut: CatchUpResult; afterRestart: CatchUpResult }> {
  const [pair] = await openPairs(server.url, 1, `cu${n}`);
  const { sid, agent, human } = pair;
  let seen = 0;
  await human.watch(sid, 0, (item) => {
    if (item.kind === 'event') seen = item.event.seq;
  });
  const writer = await agent.stream(sid, FILLER_MSG, { windowMs: 0, maxUnacked: 500 });
  await writer.started;
  await waitUntil(
    () => seen === 2,
    10_000,
    () => 'the human did not see message.started',
  );
  await human.close();
  const f0 = performance.now();
  for (let k = 0; k < n; k++) await writer.write(fillerText(k));
  await waitUntil(
    () => writer.unacked === 0,
    300_000,
    () => `${writer.unacked} filler chunks unacknowledged`,
  );
  const fillMs = round(performance.now() - f0, 0);
  await agent.close();
  const cut = { ...(await catchUpOnce(server.url, human.principal, sid, n)), fillMs };
  server = await restart();
  const afterRestart = await catchUpOnce(server.url, human.principal, sid, n);
  return { cut, afterRestart };
}

/** The same payloads queued by the broker for a persistent (clean=false) QoS 1 subscriber. */
export async function offlineQueueCatchUp(url: string, n: number): Promise<CatchUpResult> {
  const clientId = `bench-queue-${process.pid}-${n}`;
  const topic = `bench/queue/${process.pid}/${n}`;
  const clients: MqttClient[] = [];
  try {
    const first = await connectRaw(url, undefined, { clientId, clean: false });
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    const pubClient = await connectRaw(url);
    clients.push(pubClient);
    const pub = new WindowedPublisher(pubClient, 1000);
    const f0 = performance.now();
    for (let k = 0; k < n; k++) await pub.publish(topic, JSON.stringify(peerEvent('queue', k)));
    await pub.drained();
    const fillMs = performance.now() - f0;
    let last = 2;
    const errors: string[] = [];
    let t1 = 0;
    const t0 = performance.now();
    const sub = await connectRaw(
      url,
      (_t, payload) => {
        const seq = (JSON.parse(payload.toString('utf8')) as { seq: number }).seq;
        if (seq !== last + 1) errors.push(`queued message ${seq} after ${last}`);
        last = seq;
        if (last === n + 2) t1 = performance.now();
      },
      { clientId, clean: false },
    );
    clients.push(sub);
    await waitUntil(
      () => t1 > 0 || errors.length > 0,
      120_000,
      () => `drained ${last - 2} of ${n} queued messages`,
    );
    if (errors.length) throw new BenchFailure(`offline queue ${n}: ${errors.slice(0, 5).join('; ')}`);
    await sub.unsubscribeAsync(topic);
    const ms = t1 - t0;
    return { events: n, ms: round(ms), eventsPerSecond: Math.round(n / (ms / 1000)), roundTrips: n, fillMs: round(fillMs, 0) };
  } finally {
    await endAll(clients);
  }
}

/**
 * Durable Streams: a JSON stream filled with the same events (appended 100 per request: one
 * request per event takes minutes with its per-append LMDB commit), read back from offset -1.
 */
export async function durableStreamsCatchUp(baseUrl: string, n: number): Promise<CatchUpResult> {
  const url = `${baseUrl}/bench/catch-up-${n}-${Date.now().toString(36)}`;
  await DurableStream.create({ url, contentType: 'application/json' });
  const f0 = performance.now();
  const batches = Array.from({ length: Math.ceil(n / 100) }, (_, b) => b);
  for (const b of batches) {
    const body = JSON.stringify(Array.from({ length: Math.min(100, n - b * 100) }, (_, j) => peerEvent('ds', b * 100 + j)));
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    check(res.status < 300, `durable streams append returned ${res.status}`);
  }
  const fillMs = performance.now() - f0;
  const t0 = performance.now();
  const res = await stream<{ seq: number; data: { i: number; text: string } }>({ url, offset: '-1', live: false });
  const items = await res.json();
  const ms = performance.now() - t0;
  check(items.length === n, `durable streams catch-up returned ${items.length} of ${n} events`);
  for (const [k, e] of items.entries()) {
    check(
      e.seq === k + 3 && e.data.i === k && e.data.text === fillerText(k),
      `durable streams event ${k} is seq ${e.seq} (lost, repeated or reordered)`,
    );
  }
  return { events: n, ms: round(ms), eventsPerSecond: Math.round(n / (ms / 1000)), fillMs: round(fillMs, 0) };
}
