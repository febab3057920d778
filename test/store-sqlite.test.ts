import t from 'tap';
import { join } from 'node:path';
import { SqliteStore } from '../host/store/sqlite.ts';
import { storeContract } from './store-contract.ts';
import { tempDir } from './helpers.ts';

storeContract(t, async (t) => {
  const store = new SqliteStore(join(tempDir(t), 'contract.db'));
  t.teardown(() => store.close());
  return store;
});

t.test('FULL syncs the WAL after every write, off the event loop; NORMAL does not', async (t) => {
  const full = new SqliteStore(join(tempDir(t), 'full.db'));
  t.teardown(() => full.close());
  t.equal(full.db.pragma('synchronous', { simple: true }), 1, 'SQLite itself runs with NORMAL (1) ...');
  await full.nextEpoch('h');
  await full.putAgentState('bot', '{"v":1}', 1);
  t.equal(full.walSyncs, 2, '... and each write resolved only after its own fdatasync of the WAL');
  const normal = new SqliteStore(join(tempDir(t), 'normal.db'), { synchronous: 'NORMAL' });
  t.teardown(() => normal.close());
  await normal.nextEpoch('h');
  t.equal(normal.walSyncs, 0, 'NORMAL: no sync per write');
});
