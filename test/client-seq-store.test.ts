import t from 'tap';
import { join } from 'node:path';
import type { EventEnvelope } from '../schemas/src/index.ts';
import { FileSeqStore, LocalStorageSeqStore, TetherClient, type FeedItem, type SeqStore } from '../clients/lib/node.ts';
import { startTestTether, tempDir } from './helpers.ts';

/** Reads `count` events through the iterator, then leaves the loop. */
async function readSome(client: TetherClient, sid: string, count: number): Promise<number[]> {
  const session = await client.join(sid);
  const seqs: number[] = [];
  for await (const item of session) {
    if (item.kind === 'event') seqs.push(item.event.seq);
    if (seqs.length === count) break;
  }
  return seqs;
}

t.test('lastSeq kept in a file or in localStorage resumes a later client right after what was processed', async (t) => {
  const tether = await startTestTether(t);
  const owner = await TetherClient.connect({ url: tether.mqttUrl, principal: 'owner' });
  t.teardown(() => owner.close());
  const sid = await owner.createSession({ participants: [{ principal: 'alice', role: 'member' }] });
  for (let i = 0; i < 30; i++)
    await owner.command(sid, 'message.send', { msgId: `m${i}`, role: 'user', parts: [{ kind: 'text', text: `hello ${i}` }] });

  const path = join(tempDir(t), 'seqs.json');
  const entries = new Map<string, string>();
  const storage = { getItem: (k: string) => entries.get(k) ?? null, setItem: (k: string, v: string) => void entries.set(k, v) };
  const stores: [string, () => SeqStore][] = [
    ['file', () => new FileSeqStore(path)],
    ['localStorage', () => new LocalStorageSeqStore('tether.', storage)],
  ];
  for (const [name, open] of stores) {
    const first = await TetherClient.connect({ url: tether.mqttUrl, principal: 'alice', seqStore: open() });
    t.same(
      await readSome(first, sid, 12),
      Array.from({ length: 12 }, (_, i) => i + 1),
      `${name}: the first run reads 1..12`,
    );
    await first.close();
    // A new process: a new store object over the same file or storage.
    const store = open();
    t.equal(await store.load(sid), 12, `${name}: the store holds what the application processed, not what was buffered`);
    const second = await TetherClient.connect({ url: tether.mqttUrl, principal: 'alice', seqStore: store });
    t.same(
      await readSome(second, sid, 19),
      Array.from({ length: 19 }, (_, i) => i + 13),
      `${name}: the next run continues at 13, to the head`,
    );
    await second.close();
  }
});

t.test('a cursor older than retention gets an explicit reset with the snapshot, then the events after it', async (t) => {
  const tether = await startTestTether(t, { limits: { retentionEvents: 20, commandsPerSecond: 100_000 } });
  const alice = await TetherClient.connect({ url: tether.mqttUrl, principal: 'alice' });
  t.teardown(() => alice.close());
  const sid = await alice.createSession({ title: 'long' });
  for (let i = 0; i < 100; i++)
    await alice.command(sid, 'message.send', { msgId: `m${i}`, role: 'user', parts: [{ kind: 'text', text: `n${i}` }] });

  const session = await alice.join(sid, { after: 1 });
  const items: FeedItem[] = [];
  for await (const item of session) {
    items.push(item);
    if (item.kind === 'event' && item.event.seq === 101) break;
  }
  const reset = items[0];
  t.equal(reset.kind, 'reset', 'the application hears of the reset first ("cursor expired: snapshot at seq N")');
  if (reset.kind !== 'reset') return;
  t.ok(reset.atSeq > 1 && reset.atSeq <= 101 - 20, `snapshot at seq ${reset.atSeq}`);
  t.match(reset.state, { sid, headSeq: reset.atSeq, title: 'long', status: 'open' }, 'the snapshot is the session state at atSeq');
  const events = items.slice(1).map((i) => (i as { event: EventEnvelope }).event);
  const log = await tether.store.readEvents(sid, reset.atSeq, 101, 1000);
  t.same(events, log, 'then exactly the events after atSeq');
});
