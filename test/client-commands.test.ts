import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../broker/auth.ts';
import { MqttTransport, TetherClient, TetherError } from '../clients/lib/node.ts';
import { ChaosTransport, seededRandom, startCutProxy, startTestTether, tempDir } from './helpers.ts';
import { parseTopic } from '../protocol/topics.ts';

const connect = (url: string, principal: string, extra: Partial<Parameters<typeof TetherClient.connect>[0]> = {}) =>
  TetherClient.connect({ url, principal, backoff: { initialMs: 20, maxMs: 200 }, ...extra });

t.test('refusals from the host surface as TetherError with the wire code and the rule', async (t) => {
  const tether = await startTestTether(t);
  const [alice, dave, eve] = await Promise.all([
    connect(tether.mqttUrl, 'alice'),
    connect(tether.mqttUrl, 'dave'),
    connect(tether.mqttUrl, 'eve'),
  ]);
  t.teardown(() => Promise.all([alice.close(), dave.close(), eve.close()]));
  const sid = await alice.createSession({ participants: [{ principal: 'dave', role: 'viewer' }] });
  const owner = await alice.join(sid);
  const viewer = await dave.join(sid);

  const forbidden = await viewer.send('may I?').catch((e: unknown) => e);
  t.ok(forbidden instanceof TetherError, 'a typed exception');
  t.match(forbidden, { code: 'FORBIDDEN', rule: /^[A-Z]+(-[A-Z]+)*-\d+$/ }, 'a viewer may not send: FORBIDDEN with its rule');
  await owner.send('first', { msgId: 'm1' });
  await t.rejects(owner.send('again', { msgId: 'm1' }), { code: 'CONFLICT' }, 'a msgId used twice: CONFLICT');
  await t.rejects(eve.join(sid), { code: 'NOT_PARTICIPANT' }, 'joining a session of others says why it was refused');
  await t.rejects(eve.join('s-does-not-exist'), { code: 'SESSION_NOT_FOUND' });
  await t.rejects(alice.request('inbox.list', { agentId: 'bot' }), { code: 'FORBIDDEN' }, 'requests get typed errors too');
  t.throws(
    () => alice.command('bad/sid', 'steer', { text: 'x' }),
    { code: 'INVALID_ARGUMENT' },
    'an id outside the ID alphabet never reaches a topic',
  );
  t.equal(alice.commandStats.failed, 1, 'refusals are counted');
});

t.test('a command repeated with its id is appended once; a command sent while offline lands after the reconnect', async (t) => {
  const tether = await startTestTether(t);
  const link = await startCutProxy(t, Number(new URL(tether.mqttUrl).port));
  const alice = await connect(link.url, 'alice');
  t.teardown(() => alice.close());
  const sid = await alice.createSession();
  const session = await alice.join(sid);
  const first = await session.send('once', { id: 'fixed-id-1', msgId: 'm-once' });
  const again = await session.send('once', { id: 'fixed-id-1', msgId: 'm-once' });
  t.equal(again.seq, first.seq, 'the retry gets the original seq');

  const states: string[] = [];
  alice.on('state', (s) => states.push(s));
  link.cut();
  const whileOffline = session.send('sent while the link was down');
  const ack = await whileOffline;
  t.equal(ack.seq, first.seq + 1, 'acked after the reconnect, appended once');
  t.same(states.slice(0, 2), ['reconnecting', 'online'], 'the connection state went down and up');
  for await (const item of session) if (item.kind === 'event' && item.event.seq === ack.seq) break;
  t.equal(session.messages.list().length, 2, 'two messages in the log, not three');
});

t.test('RATE_LIMITED chunks are retried after retryAfterMs and still land in order', async (t) => {
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 50 } });
  const [alice, bot] = await Promise.all([connect(tether.mqttUrl, 'alice'), connect(tether.mqttUrl, 'bot')]);
  t.teardown(() => Promise.all([alice.close(), bot.close()]));
  const sid = await alice.createSession({ participants: [{ principal: 'bot', role: 'agent' }] });
  const agentSide = await bot.join(sid);
  const writer = agentSide.stream({ msgId: 'burst', windowMs: 0, maxUnacked: 200 });
  const tokens = Array.from({ length: 160 }, (_, i) => `r${i} `);
  for (const tok of tokens) await writer.write(tok);
  const done = await writer.complete();
  t.ok(bot.commandStats.rateLimited > 0, `the host refused ${bot.commandStats.rateLimited} chunks with RATE_LIMITED`);
  const page = await alice.history(sid, { after: done.seq - 1 });
  t.equal((page.events[0].data as { parts: { text: string }[] }).parts[0].text, tokens.join(''), 'every chunk once, in order');
});

t.test('a request without a reply times out with TIMEOUT', async (t) => {
  const tether = await startTestTether(t);
  const alice = await connect(tether.mqttUrl, 'alice', {
    requestTimeoutMs: 300,
    transport: (o) =>
      new ChaosTransport(new MqttTransport(o), seededRandom(1), { match: (topic) => parseTopic(topic)?.kind === 'replies', drop: 1 }),
  });
  t.teardown(() => alice.close());
  await t.rejects(alice.listSessions(), { code: 'TIMEOUT' });
});

t.test('credentials: a wrong password is refused for good, the right one connects', async (t) => {
  const dir = tempDir(t);
  const usersFile = join(dir, 'users');
  writeFileSync(usersFile, `alice:${hashPassword('s3cret', 10)}\n`);
  const tether = await startTestTether(t, { auth: { usersFile } });
  await t.rejects(connect(tether.mqttUrl, 'alice', { password: 'wrong' }), { code: 'CONNECT_REFUSED' });
  const alice = await connect(tether.mqttUrl, 'alice', { password: 's3cret' });
  t.teardown(() => alice.close());
  t.equal(alice.state, 'online');
  t.same(await alice.listSessions(), []);
});

t.test('a chunk lost on the way is repaired at once from the STREAM_OUT_OF_ORDER refusals, not after the resend timeout', async (t) => {
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 100_000 } });
  let sendsOfChunk5 = 0;
  const bot = await connect(tether.mqttUrl, 'bot', {
    // Chunk 5 vanishes once between the client and the broker (as a broker queue limit would do it).
    transport: (o) =>
      new ChaosTransport(new MqttTransport(o), seededRandom(3), {
        losePublish: (_topic, payload) => payload.includes('"id":"lossy:5"') && ++sendsOfChunk5 === 1,
      }),
  });
  const alice = await connect(tether.mqttUrl, 'alice');
  t.teardown(() => Promise.all([bot.close(), alice.close()]));
  const sid = await alice.createSession({ participants: [{ principal: 'bot', role: 'agent' }] });
  const writer = (await bot.join(sid)).stream({ msgId: 'lossy', windowMs: 0, maxUnacked: 16 });
  const started = performance.now();
  const tokens = Array.from({ length: 40 }, (_, i) => `k${i} `);
  for (const tok of tokens) await writer.write(tok);
  const done = await writer.complete();
  t.ok(sendsOfChunk5 >= 2, 'chunk 5 was lost once, then resent with its id');
  t.ok(performance.now() - started < 5000, 'repaired well before the 10 s resend');
  const page = await alice.history(sid, { after: done.seq - 1 });
  t.equal(
    (page.events[0].data as { parts: { text: string }[] }).parts[0].text,
    tokens.join(''),
    'every chunk once, in order [AGENT-WRITER-3]',
  );
});
