import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';

const msg = (msgId: string, extra: Record<string, unknown> = {}) => ({
  msgId,
  role: 'user',
  parts: [{ kind: 'text', text: msgId }],
  ...extra,
});

t.test('participants: the last owner stays, unknown principals cannot be removed, duplicates are refused', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  t.equal(
    (
      await alice.command('s-dup', 'session.create', {
        participants: [
          { principal: 'bob', role: 'member' },
          { principal: 'bob', role: 'viewer' },
        ],
      })
    ).data.code,
    'SCHEMA_INVALID',
  );
  const sid = await createSession(alice, [
    { principal: 'alice', role: 'viewer' },
    { principal: 'bot', role: 'agent' },
  ]);
  const created = (await alice.request('history.get', { sid })).data.events[0];
  t.same(
    created.data.participants,
    [
      { principal: 'alice', role: 'owner' },
      { principal: 'bot', role: 'agent' },
    ],
    'the creator comes first as owner; its own entry is ignored',
  );
  t.match((await alice.command(sid, 'participant.add', { principal: 'alice', role: 'member' })).data, {
    code: 'CONFLICT',
    rule: 'ROLE-OWNER-1',
  });
  t.match((await alice.command(sid, 'participant.remove', { principal: 'alice' })).data, { code: 'CONFLICT', rule: 'ROLE-OWNER-1' });
  t.match((await alice.command(sid, 'participant.remove', { principal: 'nobody' })).data, { code: 'CONFLICT', rule: 'CMD-PART-3' });
  t.equal((await alice.command(sid, 'participant.add', { principal: 'carol', role: 'owner' })).type, 'ack');
  t.equal((await alice.command(sid, 'participant.remove', { principal: 'alice' })).type, 'ack', 'with a second owner the first may leave');
  t.match((await alice.command(sid, 'message.send', msg('m'))).data, { code: 'NOT_PARTICIPANT' });
});

t.test('an agent added later gets the session in its inbox', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const helper = await peer(t, tether.mqttUrl, 'helper');
  const sid = await createSession(alice);
  await alice.command(sid, 'participant.add', { principal: 'helper', role: 'agent' });
  const items = (await helper.request('inbox.list', { agentId: 'helper' })).data.items;
  t.match(items, [{ sid, kind: 'session.assigned' }]);
});

t.test('messages, runs and input requests: ids once per session, references must exist', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bob = await peer(t, tether.mqttUrl, 'bob');
  const bot = await peer(t, tether.mqttUrl, 'bot');
  const sid = await createSession(alice, [
    { principal: 'bot', role: 'agent' },
    { principal: 'bob', role: 'member' },
  ]);
  t.match((await alice.command(sid, 'message.send', msg('m1', { replyToSeq: 99 }))).data, { code: 'SCHEMA_INVALID', rule: 'HOST-MSG-1' });
  await bot.command(sid, 'run.start', { runId: 'r1' });
  await bot.command(sid, 'run.finish', { runId: 'r1', status: 'completed' });
  t.match(
    (await bot.command(sid, 'run.start', { runId: 'r1' })).data,
    { code: 'CONFLICT', rule: 'HOST-RUN-1' },
    'a finished runId is still used',
  );
  t.match((await bot.command(sid, 'input.request', { requestId: 'q', prompt: 'p', runId: 'r1' })).data, {
    code: 'RUN_NOT_FOUND',
    rule: 'HOST-INPUT-11',
  });
  const schema = { type: 'integer', minimum: 1 };
  t.match(
    (
      await bot.command(sid, 'input.request', {
        requestId: 'q',
        prompt: 'p',
        answerSchema: schema,
        onTimeout: { policy: 'default', value: 0 },
      })
    ).data,
    { code: 'SCHEMA_INVALID', rule: 'HOST-INPUT-10' },
  );
  t.match(
    (await bot.command(sid, 'input.request', { requestId: 'q', prompt: 'p', answerSchema: { $ref: 'urn:tether:v1:Command' } })).data,
    { code: 'SCHEMA_INVALID', rule: 'HOST-INPUT-14' },
  );
  t.match((await bot.command(sid, 'input.request', { requestId: 'q', prompt: 'p', answerSchema: { type: 'nope' } })).data, {
    code: 'SCHEMA_INVALID',
    rule: 'HOST-INPUT-2',
  });
  t.match(
    (await bot.command(sid, 'input.request', { requestId: 'q', prompt: 'p', answerSchema: { type: 'string', contentEncoding: 'base64' } }))
      .data,
    { code: 'SCHEMA_INVALID', rule: 'HOST-INPUT-2' },
    'keywords outside the subset are refused',
  );
  t.equal(
    (await bot.command(sid, 'input.request', { requestId: 'fmt', prompt: 'email?', answerSchema: { type: 'string', format: 'email' } }))
      .type,
    'ack',
  );
  t.equal(
    (await bob.command(sid, 'input.answer', { requestId: 'fmt', value: 'not an email' })).type,
    'ack',
    'format is an annotation, never asserted',
  );
  t.equal(
    (
      await bot.command(sid, 'input.request', {
        requestId: 'q',
        prompt: 'Which?',
        to: ['bob'],
        answerSchema: { $defs: { n: schema }, $ref: '#/$defs/n' },
      })
    ).type,
    'ack',
    'a $ref inside the schema is fine',
  );
  t.match(
    (await alice.command(sid, 'input.answer', { requestId: 'q', value: 2 })).data,
    { code: 'FORBIDDEN', rule: 'HOST-INPUT-6' },
    '`to` narrows who may answer',
  );
  t.equal((await bob.command(sid, 'input.answer', { requestId: 'q', value: 2 })).type, 'ack');
  t.match((await bot.command(sid, 'input.request', { requestId: 'q', prompt: 'again' })).data, { code: 'CONFLICT', rule: 'HOST-INPUT-1' });
});

t.test('command ids are remembered after retention dropped their events', async (t) => {
  const tether = await startTestTether(t, { limits: { retentionEvents: 5 } });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  const first = await alice.command(sid, 'message.send', msg('m0'), { id: 'first-id' });
  for (let i = 1; i < 30; i++) await alice.command(sid, 'message.send', msg(`m${i}`));
  const page = await alice.request('history.get', { sid, after: 0 });
  t.ok(page.data.reset, 'the first events are gone');
  const again = await alice.command(sid, 'message.send', msg('m0'), { id: 'first-id' });
  t.same(again.data, { sid, seq: first.data.seq, duplicate: true });
  t.match((await alice.command(sid, 'message.send', msg('m0'))).data, { code: 'CONFLICT' }, 'and so are msgIds');
});

t.test('a rate-limited command says when to retry', async (t) => {
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 1 } });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const replies = [];
  for (let i = 0; i < 4; i++)
    replies.push(await alice.command('s-rate', i === 0 ? 'session.create' : 'message.send', i === 0 ? {} : msg(`m${i}`)));
  const limited = replies.find((r) => r.type === 'error');
  t.match(limited?.data, { code: 'RATE_LIMITED', rule: 'HOST-LIMIT-3' });
  t.ok(
    limited!.data.details.retryAfterMs > 0 && limited!.data.details.retryAfterMs <= 1000,
    `retryAfterMs ${limited!.data.details.retryAfterMs}`,
  );
});
