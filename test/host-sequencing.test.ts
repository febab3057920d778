import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';
import { topics } from '../protocol/topics.ts';

t.test('the host assigns contiguous seqs, publishes events, then acks', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }]);
  t.equal(await alice.subscribe(topics.events(sid)), 1, 'participant may subscribe to events');
  const acks = [];
  for (let i = 0; i < 5; i++) {
    acks.push(await alice.command(sid, 'message.send', { msgId: `m${i}`, role: 'user', parts: [{ kind: 'text', text: `hello ${i}` }] }));
  }
  t.same(
    acks.map((a) => [a.type, a.data.seq, a.data.duplicate]),
    [2, 3, 4, 5, 6].map((s) => ['ack', s, false]),
  );
  await alice.waitForEvent(sid, (e) => e.seq === 6);
  t.same(
    alice.events(sid).map((e) => e.seq),
    [2, 3, 4, 5, 6],
    'each event once, in order',
  );
  const e = alice.events(sid)[0];
  t.equal(e.sender, 'alice', 'sender comes from the topic');
  t.equal(e.type, 'message');
});

t.test('a repeated command id returns the original seq and appends nothing', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  const data = { msgId: 'm1', role: 'user', parts: [{ kind: 'text', text: 'once' }] };
  const first = await alice.command(sid, 'message.send', data, { id: 'same-id' });
  const again = await alice.command(sid, 'message.send', data, { id: 'same-id' });
  t.same(first.data, { sid, seq: 2, duplicate: false });
  t.same(again.data, { sid, seq: 2, duplicate: true });
  const next = await alice.command(sid, 'message.send', { ...data, msgId: 'm2' });
  t.equal(next.data.seq, 3, 'the duplicate consumed no seq');
  const reused = await alice.command(sid, 'run.start', { runId: 'r1' }, { id: 'same-id' });
  t.equal(reused.data.code, 'ID_REUSED');
});
