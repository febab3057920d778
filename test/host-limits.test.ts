import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';

t.test('each limit gets its typed error reply', async (t) => {
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 5, maxHistoryPage: 50, maxSessionsPerPrincipal: 2 } });
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice);
  await createSession(alice);
  const third = await alice.command('s-third', 'session.create', {});
  t.equal(third.data.code, 'LIMIT_EXCEEDED', 'sessions per principal');

  const page = await alice.request('history.get', { sid, limit: 51 });
  t.equal(page.data.code, 'LIMIT_EXCEEDED', 'history page size');
  t.equal(page.data.rule, 'HOST-LIMIT-4');

  // The bucket holds 2 x rate = 10 tokens; 3 were used above. Burst 20 commands without waiting for replies.
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const id = `burst-${i}`;
    ids.push(id);
    await alice.publish(`tether/v1/sessions/${sid}/submit/alice`, { v: 1, id, type: 'message.send', replyTo: alice.replyTo, data: { msgId: id, role: 'user', parts: [{ kind: 'text', text: 'x' }] } });
  }
  const replies = await Promise.all(ids.map((id) => alice.waitFor((m) => m.json?.re === id, id)));
  const limited = replies.filter((r) => r.json!.data.code === 'RATE_LIMITED');
  t.ok(limited.length >= 10, `commands over the rate are refused (${limited.length} of 20)`);
  t.ok(replies.some((r) => r.json!.type === 'ack'), 'commands within the burst are accepted');
  t.equal(limited[0].json!.data.rule, 'HOST-LIMIT-3');
});
