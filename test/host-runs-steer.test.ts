import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';

t.test('runs, cancel and steer: supersedes chains per run, the agent confirms where it applied it', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bot = await peer(t, tether.mqttUrl, 'bot');
  const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }]);
  await bot.command(sid, 'run.start', { runId: 'r1', title: 'research' });
  t.equal((await bot.command(sid, 'run.start', { runId: 'r1' })).data.code, 'CONFLICT');
  const s1 = await alice.command(sid, 'steer', { runId: 'r1', text: 'focus on costs' });
  t.equal((await alice.command(sid, 'steer', { runId: 'r9', text: 'x' })).data.code, 'RUN_NOT_FOUND', 'a steer must name an open run');
  const general = await alice.command(sid, 'steer', { text: 'session-wide guidance' });
  const s2 = await alice.command(sid, 'steer', { runId: 'r1', text: 'focus on risks instead' });
  const applied = await bot.command(sid, 'steer.apply', { steerSeq: s2.data.seq });
  t.equal(applied.type, 'ack');
  t.equal((await bot.command(sid, 'steer.apply', { steerSeq: 2 })).data.code, 'STEER_NOT_FOUND');
  t.equal((await alice.command(sid, 'steer.apply', { steerSeq: s2.data.seq })).data.code, 'FORBIDDEN', 'only agents confirm a steer');
  const events = (await alice.request('history.get', { sid })).data.events;
  const steers = events.filter((e: { type: string }) => e.type === 'steer');
  t.equal(steers.length, 3);
  t.notOk('supersedes' in steers[0].data, 'the first steer supersedes nothing');
  t.notOk('supersedes' in steers[1].data, "a steer without a run does not supersede a run's steer");
  t.equal(steers[2].data.supersedes, s1.data.seq, 'a later steer for the same run supersedes the earlier one');
  t.equal(general.type, 'ack');
  t.equal(
    (await alice.command(sid, 'run.finish', { runId: 'r1', status: 'completed' })).data.code,
    'FORBIDDEN',
    'only the agent that started a run finishes it',
  );
  t.equal((await bot.command(sid, 'run.cancel', { runId: 'r1' })).data.code, 'FORBIDDEN', 'agents do not cancel, they confirm');
  await alice.command(sid, 'run.cancel', { runId: 'r1', reason: 'changed my mind' });
  await bot.command(sid, 'run.finish', { runId: 'r1', status: 'cancelled' });
  t.equal((await alice.command(sid, 'run.cancel', { runId: 'r1' })).data.code, 'RUN_NOT_FOUND');
});

t.test('a stream accepts chunks only in order and only from its sender', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bot = await peer(t, tether.mqttUrl, 'bot');
  const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }]);
  t.equal((await bot.command(sid, 'message.delta', { msgId: 'm', i: 0, text: 'x' })).data.code, 'STREAM_NOT_OPEN');
  t.equal((await bot.command(sid, 'message.start', { msgId: 'm', role: 'agent', runId: 'nope' })).data.code, 'RUN_NOT_FOUND');
  await bot.command(sid, 'message.start', { msgId: 'm', role: 'agent' });
  t.equal(
    (await bot.command(sid, 'message.send', { msgId: 'm', role: 'agent', parts: [{ kind: 'text', text: 'x' }] })).data.code,
    'CONFLICT',
    'a msgId is used once per session',
  );
  await bot.command(sid, 'message.delta', { msgId: 'm', i: 0, text: 'Hel' });
  const skip = await bot.command(sid, 'message.delta', { msgId: 'm', i: 2, text: 'lo' });
  t.match(skip.data, { code: 'STREAM_OUT_OF_ORDER', details: { expected: 1 } });
  t.equal((await alice.command(sid, 'message.delta', { msgId: 'm', i: 1, text: '!' })).data.code, 'FORBIDDEN');
  await bot.command(sid, 'message.delta', { msgId: 'm', i: 1, text: 'lo' });
  const done = await bot.command(sid, 'message.complete', { msgId: 'm' });
  const events = (await alice.request('history.get', { sid, after: done.data.seq - 1 })).data.events;
  t.match(events[0], {
    type: 'message.completed',
    data: { msgId: 'm', status: 'ok', chunks: 2, parts: [{ kind: 'text', text: 'Hello' }] },
  });
  t.equal(
    (await bot.command(sid, 'message.start', { msgId: 'm', role: 'agent' })).data.code,
    'CONFLICT',
    'also after the stream completed',
  );
  t.equal((await alice.command(sid, 'session.close', { reason: 'done' })).type, 'ack');
  t.equal(
    (await alice.command(sid, 'message.send', { msgId: 'late', role: 'user', parts: [{ kind: 'text', text: 'x' }] })).data.code,
    'SESSION_CLOSED',
  );
});
