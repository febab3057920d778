import t from 'tap';
import { IdFilter } from '../host/sequencer/id-filter.ts';
import { createSession, peer, startTestTether, tempDir } from './helpers.ts';

t.test('IdFilter never forgets an id and rarely claims a new one, also as it grows', async (t) => {
  const f = new IdFilter();
  t.equal(f.bytes, 128, 'a new session costs 128 bytes');
  for (let i = 0; i < 100_000; i++) f.add(`alice\u0000c-${i}`);
  t.equal(f.size, 100_000);
  let missing = 0;
  for (let i = 0; i < 100_000; i++) if (!f.mayHave(`alice\u0000c-${i}`)) missing++;
  t.equal(missing, 0, 'no false negative');
  let falsePositives = 0;
  for (let i = 0; i < 100_000; i++) if (f.mayHave(`bob\u0000c-${i}`)) falsePositives++;
  t.ok(falsePositives < 3_000, `false positives after growing 1,000-fold: ${falsePositives} of 100,000 (a few % at most)`);
  t.ok(f.bytes < 400_000, `${f.bytes} bytes for 100,000 ids`);
});

t.test('repeated command ids are recognised as the filter grows and after a host restart', async (t) => {
  const dataDir = tempDir(t);
  const limits = { commandsPerSecond: 1_000_000 };
  const first = await startTestTether(t, { dataDir, limits });
  const alice = await peer(t, first.mqttUrl, 'alice');
  const sid = await createSession(alice);
  const send = (p: typeof alice, i: number) =>
    p.command(sid, 'message.send', { msgId: `m${i}`, role: 'user', parts: [{ kind: 'text', text: `${i}` }] }, { id: `c-${i}` });
  // 2,500 commands: the session's filter (room for 100 at first) grows five times.
  const acks = [];
  for (let i = 0; i < 2500; i += 250) acks.push(...(await Promise.all(Array.from({ length: 250 }, (_, k) => send(alice, i + k)))));
  t.ok(
    acks.every((a) => a.type === 'ack' && a.data.duplicate === false),
    '2,500 new commands accepted',
  );
  const seqOf = new Map(acks.map((a, i) => [i, a.data.seq as number]));
  const probe = [0, 1, 511, 1023, 1024, 1500, 2047, 2048, 2499];
  for (const i of probe) {
    const r = await send(alice, i);
    t.match(r, { type: 'ack', data: { duplicate: true, seq: seqOf.get(i) } }, `c-${i} is a duplicate of seq ${seqOf.get(i)}`);
  }
  await alice.close();
  await first.close();
  const second = await startTestTether(t, { dataDir, limits });
  const again = await peer(t, second.mqttUrl, 'alice');
  for (const i of probe) {
    const r = await send(again, i);
    t.match(r, { type: 'ack', data: { duplicate: true, seq: seqOf.get(i) } }, `after a restart, c-${i} is still a duplicate`);
  }
  const fresh = await send(again, 9999);
  t.match(fresh, { type: 'ack', data: { duplicate: false, seq: 2502 } }, 'a new id is appended at the head');
});
