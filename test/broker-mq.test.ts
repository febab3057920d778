import t, { type Test } from 'tap';
import mqtt from 'mqtt';
import { createMq } from '../broker/mq.ts';
import { startTestTether } from './helpers.ts';
import { unchecked } from '../protocol/topics.ts';

t.test('createMq: 50,000 queued synchronous deliveries run in order without recursing', async (t) => {
  const mq = createMq({ concurrency: 100 });
  const slow: Array<() => void> = [];
  mq.on('slow', (_m, done) => void slow.push(done));
  const seen: number[] = [];
  mq.on('fast', (m, done) => {
    seen.push(m.i as number);
    done();
  });
  // 100 deliveries that wait take every slot; everything after them is queued.
  for (let i = 0; i < 100; i++) mq.emit({ topic: 'slow' });
  const N = 50_000;
  let completed = 0;
  for (let i = 0; i < N; i++) mq.emit({ topic: 'fast', i }, () => void completed++);
  t.equal(seen.length, 0, 'nothing runs while the slots are taken');
  // Release the slots: with stock mqemitter this recursion overflows the stack.
  for (const done of slow.splice(0)) done();
  for (let i = 0; i < 1000 && completed < N; i++) await new Promise((r) => setImmediate(r));
  t.equal(completed, N, 'every message completed');
  t.equal(seen.length, N, 'every message delivered once');
  t.ok(
    seen.every((v, i) => v === i),
    'in the order they were emitted',
  );
  t.equal(mq.current, 0, 'no slot is leaked');
});

/** An emitter with 4 slots: 'slow' deliveries wait, 'fast' ones record their i. */
function smallEmitter(t: Test) {
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(w.message);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const mq = createMq({ concurrency: 4 });
  const seen: number[] = [];
  const slow: Array<() => void> = [];
  mq.on('slow', (_m, done) => void slow.push(done));
  mq.on('fast', (m, done) => {
    seen.push(m.i as number);
    done();
  });
  return { mq, seen, slow, warnings };
}

t.test('createMq: an emit while queued messages are being started does not overtake them', async (t) => {
  const { mq, seen, slow, warnings } = smallEmitter(t);
  for (let i = 0; i < 4; i++) mq.emit({ topic: 'slow' });
  // Message 50 finishes in the middle of the loop that starts the queue; what it emits then goes last.
  const emitMore = () => {
    for (let i = 100; i < 110; i++) mq.emit({ topic: 'fast', i });
  };
  for (let i = 0; i < 100; i++) mq.emit({ topic: 'fast', i }, i === 50 ? emitMore : undefined);
  for (const done of slow.splice(0)) done();
  for (let i = 0; i < 100 && seen.length < 110; i++) await new Promise((r) => setImmediate(r));
  t.same(
    seen,
    Array.from({ length: 110 }, (_, i) => i),
  );
  await new Promise((r) => setImmediate(r));
  t.same(warnings, [], 'mqemitter sees no leaked queue (its "MqEmitter leak detected" warning)');
  t.equal(mq.current, 0, 'every slot is given back');
});

t.test('createMq: an emit after the queue ran empty starts at once, without a leak warning', async (t) => {
  const { mq, seen, slow, warnings } = smallEmitter(t);
  for (let i = 0; i < 4; i++) mq.emit({ topic: 'slow' });
  for (let i = 0; i < 3; i++) mq.emit({ topic: 'fast', i });
  // The first release runs fast 0 to 2; the next two find the queue empty.
  for (const done of slow.splice(0, 3)) done();
  t.same(seen, [0, 1, 2], 'the queued messages ran when a slot came free');
  for (let i = 3; i < 6; i++) mq.emit({ topic: 'fast', i });
  t.equal(mq.current, 1, 'only the remaining slow delivery holds a slot');
  for (let i = 0; i < 100 && seen.length < 6; i++) await new Promise((r) => setImmediate(r));
  t.same(seen, [0, 1, 2, 3, 4, 5], 'in emit order');
  for (const done of slow.splice(0)) done();
  await new Promise((r) => setImmediate(r));
  t.same(warnings, [], 'no "MqEmitter leak detected" warning');
  t.equal(mq.current, 0, 'every slot is given back');
});

t.test('the embedded broker survives a slow subscriber and a burst of 20,000 publishes', async (t) => {
  const tether = await startTestTether(t);
  const sub = await mqtt.connectAsync(tether.mqttUrl, { reconnectPeriod: 0 });
  t.teardown(() => sub.endAsync(true));
  await sub.subscribeAsync(unchecked('burst', 'slow'), { qos: 0 });
  let got = 0;
  sub.on('message', () => void got++);
  // The subscriber stops reading: its socket fills and each delivery waits for 'drain'.
  const stream = (sub as unknown as { stream: NodeJS.ReadableStream }).stream;
  stream.pause();
  const big = Buffer.alloc(64 * 1024, 120);
  let completed = 0;
  const publish = (topic: string, payload: Buffer) =>
    tether.broker.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false } as never, () => void completed++);
  for (let i = 0; i < 200; i++) publish(unchecked('burst', 'slow'), big);
  for (let i = 0; i < 20_000; i++) publish(unchecked('burst', 'nobody'), Buffer.from('x'));
  t.ok(completed < 20_200, 'publishes are queued behind the slow deliveries');
  stream.resume();
  const deadline = Date.now() + 20_000;
  while ((completed < 20_200 || got < 200) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(completed, 20_200, 'every publish completed');
  t.equal(got, 200, 'the slow subscriber got all its messages');
});
