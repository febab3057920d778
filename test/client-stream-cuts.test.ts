import t from 'tap';
import type { EventEnvelope } from '../schemas/src/index.ts';
import { TetherClient } from '../clients/lib/node.ts';
import { seededRandom, startCutProxy, startTestTether } from './helpers.ts';

const TOTAL_EVENTS = 5000;
const READER_CUTS = 50;
const WRITER_CUTS = 15;
const backoff = { initialMs: 10, maxMs: 100 };

t.test('a 5,000-event token stream cut at 50 seeded random points reaches the reader exactly as the log holds it', async (t) => {
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 1_000_000 } });
  const brokerPort = Number(new URL(tether.mqttUrl).port);
  const readerLink = await startCutProxy(t, brokerPort);
  const writerLink = await startCutProxy(t, brokerPort);
  const random = seededRandom(Number(process.env.TETHER_TEST_SEED ?? 4711));

  const alice = await TetherClient.connect({ url: readerLink.url, principal: 'alice', device: 'laptop', persistent: true, backoff });
  const bot = await TetherClient.connect({ url: writerLink.url, principal: 'bot', backoff, commandResendMs: 2000 });
  t.teardown(() => Promise.all([alice.close(), bot.close()]));

  const sid = await alice.createSession({ title: 'cuts', participants: [{ principal: 'bot', role: 'agent' }] });
  const reader = await alice.join(sid, { compact: false });
  const agentSide = await bot.join(sid);

  // session.created + message.started + deltas + message.completed = TOTAL_EVENTS.
  const deltas = TOTAL_EVENTS - 3;
  // The reader's link is cut at 50 seeded points of the stream: when the application has seen
  // seq p, the link is cut a seeded number of bytes later, wherever that falls (inside an event
  // batch, a history page, a CONNACK). Points that pass while the link is down are cut on the
  // next connections, during the catch-up. The writer's link is cut at seeded byte offsets of
  // its command traffic (about 150 bytes per chunk, so every offset below the bound is reached).
  const readerPoints = Array.from({ length: READER_CUTS }, () => 2 + Math.floor(random() * TOTAL_EVENTS * 0.8)).sort((a, b) => a - b);
  const readerOffsets = readerPoints.map(() => Math.floor(random() * 400));
  const writerCuts = Array.from({ length: WRITER_CUTS }, () => Math.floor(random() * deltas * 120));
  const writerCutsDone = writerLink.cutAt(writerCuts, 'up');
  const readerCutsDone: Promise<void>[] = [];

  const seen: EventEnvelope[] = [];
  const reading = (async () => {
    let next = 0;
    for await (const item of reader) {
      if (item.kind !== 'event') throw new Error(`unexpected ${item.kind}`);
      seen.push(item.event);
      for (; next < READER_CUTS && item.event.seq >= readerPoints[next]; next++) {
        readerCutsDone.push(readerLink.cutAt([readerLink.bytes.down + readerOffsets[next]], 'down'));
      }
      if (item.event.type === 'message.completed') return;
    }
  })();

  const started = performance.now();
  const writer = agentSide.stream({ msgId: 'answer', windowMs: 0, maxUnacked: 64 });
  const tokens: string[] = [];
  for (let i = 0; i < deltas; i++) {
    const token = `t${i} `;
    tokens.push(token);
    await writer.write(token);
  }
  const completed = await writer.complete();
  await reading;
  await Promise.all([...readerCutsDone, writerCutsDone]);
  const elapsed = performance.now() - started;

  t.equal(completed.seq, TOTAL_EVENTS, 'the log holds exactly the stream: no chunk appended twice');
  t.equal(readerLink.cuts, READER_CUTS, `the reader's connection was cut ${READER_CUTS} times`);
  t.equal(writerLink.cuts, WRITER_CUTS, `the writer's connection was cut ${WRITER_CUTS} times`);
  const log = await tether.store.readEvents(sid, 0, TOTAL_EVENTS, Number.MAX_SAFE_INTEGER);
  t.equal(seen.length, log.length, 'as many events as the log');
  t.same(
    seen.map((e) => e.seq),
    log.map((e) => e.seq),
    'every seq once, in order',
  );
  t.same(seen, log, 'the sequence the application saw equals the host log exactly');
  const view = reader.messages.get('answer');
  t.equal(view?.status, 'ok');
  t.equal(view?.text, tokens.join(''), 'no token lost or repeated by the writer');
  t.comment(
    `${TOTAL_EVENTS} events, ${readerLink.cuts} reader cuts (${readerLink.bytes.down} bytes down), ` +
      `${writerLink.cuts} writer cuts (${writerLink.bytes.up} bytes up) in ${Math.round(elapsed)} ms; ` +
      `reader: ${reader.stats.live} live deliveries, ${reader.stats.duplicates} duplicates dropped, ${reader.stats.pages} history pages`,
  );
});
