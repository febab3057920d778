import t from 'tap';
import { peer, spawnTether, tempDir } from './helpers.ts';
import { topics } from '../protocol/topics.ts';

t.test('every acknowledged event survives kill -9 of the host right after the ack', async (t) => {
  const dataDir = tempDir(t);
  const first = await spawnTether(t, ['--data', dataDir, '--sync', 'FULL']);
  const alice = await peer(t, first.mqttUrl, 'alice', { reconnectPeriod: 0 });
  const sid = 's-durable';
  t.equal((await alice.command(sid, 'session.create', { title: 'kill me' })).type, 'ack');
  // Fire 3000 commands without waiting; kill the process the moment the 150th ack arrives.
  const acked = new Map<string, number>();
  const ids = Array.from({ length: 3000 }, (_, i) => `m${i}`);
  const killed = new Promise<void>((resolve) => {
    alice.client.on('message', (topic, payload) => {
      if (topic !== alice.replyTo) return;
      const reply = JSON.parse(payload.toString());
      if (reply.type === 'ack' && first.child.exitCode === null) {
        acked.set(reply.re, reply.data.seq);
        if (acked.size === 150) {
          first.child.kill('SIGKILL');
          resolve();
        }
      }
    });
  });
  for (const id of ids) {
    void alice
      .publish(topics.submit(sid, 'alice'), {
        v: 1,
        id,
        type: 'message.send',
        replyTo: alice.replyTo,
        data: { msgId: id, role: 'user', parts: [{ kind: 'text', text: id }] },
      })
      .catch(() => {});
  }
  await killed;
  await first.exited;
  await alice.close();
  const ackedNow = new Map(acked);
  t.ok(ackedNow.size >= 150, `${ackedNow.size} commands were acknowledged before the kill`);

  const second = await spawnTether(t, ['--data', dataDir]);
  const reader = await peer(t, second.mqttUrl, 'alice');
  const page = await reader.request('history.get', { sid, after: 0, compact: false });
  const bySeq = new Map(page.data.events.map((e: { seq: number; cid?: string }) => [e.seq, e.cid]));
  const lost = [...ackedNow].filter(([id, seq]) => bySeq.get(seq) !== id);
  t.same(lost, [], 'no acknowledged event is lost, each at its acknowledged seq');
  const seqs = page.data.events.map((e: { seq: number }) => e.seq);
  t.same(
    seqs,
    Array.from({ length: seqs.length }, (_, i) => i + 1),
    'the log has no gap',
  );
});

t.test('SIGTERM shuts down cleanly: offline state published, nothing acknowledged lost', async (t) => {
  const dataDir = tempDir(t);
  const tether = await spawnTether(t, ['--data', dataDir]);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  await alice.subscribe(topics.hostState('main'));
  await alice.waitFor((m) => m.json?.status === 'online', 'birth');
  await alice.command('s-term', 'session.create', {});
  const ack = await alice.command('s-term', 'message.send', { msgId: 'm', role: 'user', parts: [{ kind: 'text', text: 'keep me' }] });
  tether.child.kill('SIGTERM');
  const offline = await alice.waitFor((m) => m.json?.status === 'offline', 'offline state');
  t.match(offline.json, { status: 'offline', epoch: 1 });
  t.equal(await tether.exited, 0, 'exit code 0');
  await alice.close();
  const again = await spawnTether(t, ['--data', dataDir]);
  const reader = await peer(t, again.mqttUrl, 'alice');
  const page = await reader.request('history.get', { sid: 's-term' });
  t.equal(page.data.events.at(-1).seq, ack.data.seq);
});
