import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';
import { topics } from '../protocol/topics.ts';

t.test('malformed commands get typed errors naming the rule, and append nothing', async (t) => {
  const tether = await startTestTether(t, { limits: { maxPayloadBytes: 4096 } });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  const submit = topics.submit(sid, 'alice');

  const cases: [string, unknown, string][] = [
    [
      'wrong types',
      { v: 1, id: 'w1', type: 'message.send', replyTo: alice.replyTo, data: { msgId: 'm', role: 'user', parts: 'hi' } },
      'SCHEMA_INVALID',
    ],
    ['unknown type', { v: 1, id: 'u1', type: 'message.explode', replyTo: alice.replyTo, data: {} }, 'UNKNOWN_TYPE'],
    ['version 2', { v: 2, id: 'v2', type: 'message.send', replyTo: alice.replyTo, data: {} }, 'VERSION_UNSUPPORTED'],
    [
      'oversize',
      {
        v: 1,
        id: 'big',
        type: 'message.send',
        replyTo: alice.replyTo,
        data: { msgId: 'm', role: 'user', parts: [{ kind: 'text', text: 'x'.repeat(5000) }] },
      },
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'id injecting a topic level',
      { v: 1, id: 'i1', type: 'participant.add', replyTo: alice.replyTo, data: { principal: 'bob/+', role: 'member' } },
      'SCHEMA_INVALID',
    ],
    ['array payload', [1, 2, 3], 'SCHEMA_INVALID'],
  ];
  for (const [name, payload, code] of cases) {
    const since = alice.log.length;
    await alice.publish(submit, JSON.stringify(payload));
    if (Array.isArray(payload)) continue; // no replyTo to answer on; checked below by the head staying put
    const reply = await alice.waitFor((m) => m.topic === alice.replyTo && m.json?.re === (payload as { id: string }).id, name, 5000, since);
    t.equal(reply.json!.type, 'error', `${name}: error reply`);
    t.equal(reply.json!.data.code, code, `${name}: ${code}`);
    t.match(reply.json!.data.rule, /^[A-Z]+-[A-Z]+-\d+$/, `${name}: names the rule`);
  }
  await alice.publish(submit, 'this is {not json');
  // Invalid UTF-8 inside an otherwise readable command is BAD_JSON, not repaired [ENV-JSON-2].
  const badUtf8 = Buffer.concat([
    Buffer.from(
      `{"v":1,"id":"utf","type":"message.send","replyTo":"${alice.replyTo}","data":{"msgId":"u","role":"user","parts":[{"kind":"text","text":"`,
    ),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}]}}'),
  ]);
  await alice.publish(submit, badUtf8);
  const ok = await alice.command(sid, 'message.send', { msgId: 'after', role: 'user', parts: [{ kind: 'text', text: 'still alive' }] });
  t.same(ok.data, { sid, seq: 2, duplicate: false }, 'the host survived and appended nothing for the bad inputs');
});

t.test('a replyTo naming another principal is refused and nothing is sent there', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const mallory = await peer(t, tether.mqttUrl, 'mallory');
  const sid = await createSession(alice, [{ principal: 'mallory', role: 'member' }]);
  await mallory.publish(topics.submit(sid, 'mallory'), {
    v: 1,
    id: 'spoof',
    type: 'message.send',
    replyTo: alice.replyTo,
    data: { msgId: 'x', role: 'user', parts: [{ kind: 'text', text: 'x' }] },
  });
  const check = await alice.command(sid, 'message.send', { msgId: 'y', role: 'user', parts: [{ kind: 'text', text: 'y' }] });
  t.equal(check.data.seq, 2, 'the spoofed command was not appended');
  t.notOk(
    alice.log.some((m) => m.json?.re === 'spoof'),
    "no reply was published on alice's reply topic",
  );
});

t.test('commands for unknown sessions and from non-participants are refused', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const eve = await peer(t, tether.mqttUrl, 'eve');
  const sid = await createSession(alice);
  const r1 = await alice.command('no-such-session', 'message.send', { msgId: 'm', role: 'user', parts: [{ kind: 'text', text: 'x' }] });
  t.equal(r1.data.code, 'SESSION_NOT_FOUND');
  const r2 = await eve.command(sid, 'message.send', { msgId: 'm', role: 'user', parts: [{ kind: 'text', text: 'x' }] });
  t.equal(r2.data.code, 'NOT_PARTICIPANT');
  const r3 = await alice.command(sid, 'session.create', {});
  t.equal(r3.data.code, 'SESSION_EXISTS');
  const r4 = await eve.request('history.get', { sid });
  t.equal(r4.data.code, 'NOT_PARTICIPANT', 'history is for participants only');
});

t.test('unknown fields are accepted and left out of the event; a byte order mark is not JSON', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  const ack = await alice.command(sid, 'message.send', {
    msgId: 'm',
    role: 'user',
    mood: 'happy',
    parts: [
      { kind: 'text', text: 'hi', lang: 'en' },
      { kind: 'image', url: 'x' },
    ],
  });
  t.equal(ack.type, 'ack');
  const [event] = (await alice.request('history.get', { sid, after: 1 })).data.events;
  t.same(
    event.data,
    {
      msgId: 'm',
      role: 'user',
      parts: [
        { kind: 'text', text: 'hi' },
        { kind: 'image', url: 'x' },
      ],
    },
    'unknown fields dropped at every depth; an unknown part kind is kept whole',
  );
  const bom = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from(
      JSON.stringify({
        v: 1,
        id: 'bom',
        type: 'message.send',
        replyTo: alice.replyTo,
        data: { msgId: 'b', role: 'user', parts: [{ kind: 'text', text: 'x' }] },
      }),
    ),
  ]);
  await alice.publish(topics.submit(sid, 'alice'), bom);
  const next = await alice.command(sid, 'message.send', { msgId: 'after-bom', role: 'user', parts: [{ kind: 'text', text: 'x' }] });
  t.equal(next.data.seq, 3, 'the payload with a byte order mark was not appended');
});
