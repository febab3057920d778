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
  const random = seededRandom(4711);

  const alice = await TetherClient.connect({ url: readerLink.url, principal: 'alice', device: 'laptop', persistent: true, backoff });
  const bot = await TetherClient.connect({ url: writerLink.url, principal: 'bot', backoff, commandResendMs: 2000 });
  t.teardown(() => Promise.all([alice.close(), bot.close()]));

  const sid = await alice.createSession({ title: 'cuts', participants: [{ principal: 'bot', role: 'agent' }] });
  const reader = await alice.join(sid, { compact: false });
  const agentSide = await bot.join(sid);

  // session.created + message.started + deltas + message.completed = TOTAL_EVENTS.
  const deltas = TOTAL_EVENTS - 3;
  // Cut points are byte offsets of the traffic through each proxy: every event crosses the
  // reader's link at least once (about 190 bytes each), every chunk command the writer's (about
  // 150 bytes), so offsets below these bounds are all reached, wherever they fall: inside an
  // event batch, a history page, a CONNACK or a command.
  const readerCuts = Array.from({ length: READER_CUTS }, () => Math.floor(random() * TOTAL_EVENTS * 150));
  const writerCuts = Array.from({ length: WRITER_CUTS }, () => Math.floor(random() * deltas * 120));
  const readerCutsDone = readerLink.cutAt(readerCuts, 'down');
  const writerCutsDone = writerLink.cutAt(writerCuts, 'up');

  const seen: EventEnvelope[] = [];
  const reading = (async () => {
    for await (const item of reader) {
      if (item.kind !== 'event') throw new Error(`unexpected ${item.kind}`);
      seen.push(item.event);
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
  await Promise.all([readerCutsDone, writerCutsDone]);
  const elapsed = performance.now() - started;

  t.equal(completed.seq, TOTAL_EVENTS, 'the log holds exactly the stream: no chunk appended twice');
  t.equal(readerLink.cuts, READER_CUTS, `the reader's connection was cut ${READER_CUTS} times`);
  t.equal(writerLink.cuts, WRITER_CUTS, `the writer's connection was cut ${WRITER_CUTS} times`);
  const log = await tether.store.readEvents(sid, 0, TOTAL_EVENTS, Number.MAX_SAFE_INTEGER);
  t.equal(seen.length, log.length, 'as many events as the log');
  t.same(seen.map((e) => e.seq), log.map((e) => e.seq), 'every seq once, in order');
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
