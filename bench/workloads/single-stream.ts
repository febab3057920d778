/**
 * Workload 6, single-stream token throughput against the peers: one writer emits T short tokens as
 * fast as its client accepts them (yielding to the event loop every 64 tokens), one reader renders
 * them; tokens per second from the first write to the last token rendered, content checked.
 *   Tether: StreamWriter (coalescing by default, 30 ms window; also uncoalesced) -> host -> human
 *     SessionFeed + MessageFold.
 *   Durable Streams: its IdempotentProducer (batching by default, 5 ms linger) -> file store ->
 *     its stream() reader with live SSE.
 *   Plain SSE: a Node HTTP handler writes T `data:` events (write() backpressure) to a raw reader.
 */
import { DurableStream, IdempotentProducer, stream } from '@durable-streams/client';
import http from 'node:http';
import type { MessageFold } from '../../clients/lib/message-fold.ts';
import { closePairs, openPairs } from '../pairs.ts';
import { BenchFailure, check, round, waitUntil } from '../stats.ts';

export interface SingleStreamResult {
  tokens: number;
  ms: number;
  tokensPerSecond: number;
  /** Events (chunks, appends) the tokens travelled in, where the system reports it. */
  chunks?: number;
}

const tok = (i: number) => ` t${i}`;
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

function result(tokens: number, ms: number, chunks?: number): SingleStreamResult {
  return { tokens, ms: round(ms, 1), tokensPerSecond: Math.round(tokens / (ms / 1000)), chunks };
}

export async function tetherSingleStream(url: string, tokens: number, windowMs?: number): Promise<SingleStreamResult> {
  const [pair] = await openPairs(url, 1, `one${windowMs ?? 'd'}`);
  try {
    const msgId = 'm-one';
    let fold: MessageFold | undefined;
    let expectedLength = 0;
    for (let i = 0; i < tokens; i++) expectedLength += tok(i).length;
    let t1 = 0;
    let chunks = 0;
    await pair.human.watch(pair.sid, 0, (item, messages) => {
      fold = messages;
      const v = messages.get(msgId);
      if (v?.msgId !== msgId || item.kind !== 'event' || item.event.type !== 'message.delta') return;
      chunks++;
      if (v.text.length === expectedLength && !t1) t1 = performance.now();
    });
    const writer = await pair.agent.stream(pair.sid, msgId, windowMs === undefined ? {} : { windowMs });
    await writer.started;
    await waitUntil(
      () => fold?.get(msgId) !== undefined,
      10_000,
      () => 'the human did not see message.started',
    );
    const t0 = performance.now();
    for (let i = 0; i < tokens; i++) {
      await writer.write(tok(i));
      if (i % 64 === 63) await yieldNow();
    }
    writer.flush();
    await waitUntil(
      () => t1 > 0,
      120_000,
      () => `rendered ${fold?.get(msgId)?.text.length} of ${expectedLength} characters`,
    );
    await writer.complete();
    const v = fold!.get(msgId)!;
    let expected = '';
    for (let i = 0; i < tokens; i++) expected += tok(i);
    check(v.text === expected && !v.incomplete, 'tether single stream: rendered text differs from the tokens written');
    return result(tokens, t1 - t0, chunks);
  } finally {
    await closePairs([pair]);
  }
}

export async function durableStreamsSingleStream(baseUrl: string, tokens: number): Promise<SingleStreamResult> {
  const url = `${baseUrl}/bench/one-${Date.now().toString(36)}`;
  const handle = await DurableStream.create({ url, contentType: 'application/json' });
  const res = await stream<{ i: number; t: string }>({ url, offset: '-1', live: 'sse' });
  let next = 0;
  let t1 = 0;
  let batches = 0;
  const errors: string[] = [];
  const unsubscribe = res.subscribeJson((batch) => {
    batches++;
    for (const item of batch.items) {
      if (item.i !== next || item.t !== tok(next)) errors.push(`token ${item.i} after ${next - 1}`);
      next = item.i + 1;
    }
    if (next === tokens && !t1) t1 = performance.now();
  });
  const producerErrors: Error[] = [];
  const producer = new IdempotentProducer(handle, `bench-${process.pid}`, { onError: (err) => producerErrors.push(err) });
  try {
    const t0 = performance.now();
    for (let i = 0; i < tokens; i++) {
      producer.append(JSON.stringify({ i, t: tok(i) }));
      if (i % 64 === 63) await yieldNow();
    }
    await producer.flush();
    await waitUntil(
      () => t1 > 0 || errors.length > 0 || producerErrors.length > 0,
      120_000,
      () => `durable streams reader got ${next} of ${tokens} tokens`,
    );
    if (errors.length || producerErrors.length)
      throw new BenchFailure(
        `durable streams single stream: ${[...errors, ...producerErrors.map((e) => e.message)].slice(0, 5).join('; ')}`,
      );
    return result(tokens, t1 - t0, batches);
  } finally {
    unsubscribe();
    res.cancel();
    await producer.close().catch(() => {});
  }
}

export async function plainSseSingleStream(baseUrl: string, tokens: number): Promise<SingleStreamResult> {
  const t0 = performance.now();
  let next = 0;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    const req = http.get(`${baseUrl}/tokens?n=${tokens}&size=4`, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let cut: number;
        while ((cut = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, cut);
          buffered = buffered.slice(cut + 2);
          if (frame.startsWith('event: end')) continue;
          const m = JSON.parse(frame.slice('data: '.length)) as { i: number; t: string };
          if (m.i !== next) return reject(new BenchFailure(`plain SSE: token ${m.i} after ${next - 1}`));
          next++;
        }
      });
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const ms = performance.now() - t0;
  check(next === tokens, `plain SSE: ${next} of ${tokens} tokens`);
  return result(tokens, ms, next);
}
