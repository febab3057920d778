import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';
import { topics } from '../protocol/topics.ts';
import { clip } from '../host/gate/json.ts';

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

t.test('a string with a lone surrogate is refused with BAD_JSON (ENV-JSON-3), a surrogate pair is accepted', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  const submit = topics.submit(sid, 'alice');
  for (const [name, raw] of [
    ['lone high surrogate in a text', '"text":"he\\ud83d"'],
    ['lone low surrogate in a text', '"text":"\\ude00x"'],
  ] as const) {
    const id = `ls-${name.length}-${raw.length}`;
    const since = alice.log.length;
    await alice.publish(
      submit,
      `{"v":1,"id":"${id}","type":"message.send","replyTo":"${alice.replyTo}","data":{"msgId":"m${id}","role":"user","parts":[{"kind":"text",${raw}}]}}`,
    );
    const reply = await alice.waitFor((m) => m.topic === alice.replyTo && m.json?.re === id, name, 5000, since);
    t.equal(reply.json!.data.code, 'BAD_JSON', `${name}: BAD_JSON`);
    t.equal(reply.json!.data.rule, 'ENV-JSON-3', `${name}: names ENV-JSON-3`);
  }
  const since = alice.log.length;
  await alice.publish(
    topics.submit('s-lone-title', 'alice'),
    `{"v":1,"id":"lt1","type":"session.create","replyTo":"${alice.replyTo}","data":{"title":"x\\ud83d"}}`,
  );
  const titled = await alice.waitFor((m) => m.topic === alice.replyTo && m.json?.re === 'lt1', 'title', 5000, since);
  t.equal(titled.json!.data.code, 'BAD_JSON', 'a session title with a lone surrogate is refused too');
  const pair = await alice.command(sid, 'message.send', {
    msgId: 'pair',
    role: 'user',
    parts: [{ kind: 'text', text: 'ok \ud83d\ude00' }],
  });
  t.equal(pair.type, 'ack', 'an escaped surrogate pair (an emoji) is text and is accepted');
});

t.test('device texts are cut at code points: an emoji at the cut is never split (DEVICE-SIZE-1)', async (t) => {
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bob = await peer(t, tether.mqttUrl, 'bob');
  await bob.subscribe(topics.notify('bob'));
  // 119 ASCII characters, then emoji: the 120-unit cut of old fell inside the first one.
  const prompt = `${'a'.repeat(119)}${'😀'.repeat(30)}`;
  const sid = await createSession(alice, [
    { principal: 'bob', role: 'member' },
    { principal: 'bot', role: 'agent' },
  ]);
  const bot = await peer(t, tether.mqttUrl, 'bot');
  await bob.subscribe(topics.result(sid));
  await bot.command(sid, 'input.request', { requestId: 'q1', prompt });
  const note = await bob.waitFor((m) => m.topic === topics.notify('bob') && m.json?.k === 'input', 'input notification');
  t.notOk(LONE.test(String(note.json!.t)), 'the notification text has no lone surrogate');
  t.ok(String(note.json!.t).endsWith('…'), 'and says it was cut');
  await bot.command(sid, 'run.start', { runId: 'r1' });
  await bot.command(sid, 'run.finish', { runId: 'r1', status: 'completed', summary: `${'b'.repeat(158)}😀😀` });
  const result = await bob.waitFor((m) => m.topic === topics.result(sid) && m.json?.status === 'completed', 'result');
  t.equal(result.json!.t, `${'b'.repeat(158)}😀😀`, 'the retained result keeps both emoji whole (160 code points, 162 UTF-16 units)');
  t.notOk(LONE.test(String(result.json!.t)), 'the retained result has no lone surrogate');
  t.ok(Buffer.byteLength(JSON.stringify(result.json)) <= 256, 'and fits 256 bytes');
});

t.test('clip cuts by code points and marks the cut', async (t) => {
  t.equal(clip('abc', 3), 'abc');
  t.equal(clip('abcd', 3), 'ab…');
  t.equal(clip('a😀😀', 2), 'a…');
  t.equal(clip('😀😀😀', 3), '😀😀😀', 'three emoji are three code points, though six UTF-16 units');
});

t.test(
  'a failed run without a summary shows its status, and control characters are cut to the most that fits (HOST-RESULT-1, DEVICE-SIZE-1)',
  async (t) => {
    const tether = await startTestTether(t);
    const alice = await peer(t, tether.mqttUrl, 'alice');
    const bot = await peer(t, tether.mqttUrl, 'bot');
    const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }]);
    await alice.subscribe(topics.result(sid));
    await bot.command(sid, 'run.start', { runId: 'r1' });
    await bot.command(sid, 'run.finish', { runId: 'r1', status: 'failed', error: 'the database was unreachable' });
    const failed = await alice.waitFor((m) => m.topic === topics.result(sid) && m.json?.status === 'failed', 'failed result');
    t.equal(failed.json!.t, 'failed', 't is the status, not the error text');
    await bot.command(sid, 'run.start', { runId: 'r2' });
    await bot.command(sid, 'run.finish', { runId: 'r2', status: 'completed', summary: '\u0007'.repeat(160) });
    const bel = await alice.waitFor(
      (m) => m.topic === topics.result(sid) && m.json?.seq !== failed.json!.seq && m.json?.status === 'completed',
      'BEL result',
    );
    const shown = Array.from(String(bel.json!.t));
    t.equal(shown.at(-1), '…', 'the cut is marked');
    t.ok(shown.length > 15, `as many escaped control characters as fit are kept (${shown.length - 1})`);
    t.ok(Buffer.byteLength(JSON.stringify(bel.json)) <= 256, 'within 256 bytes');
  },
);
