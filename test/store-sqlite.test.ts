import t from 'tap';
import { join } from 'node:path';
import { SqliteStore } from '../broker/store/sqlite.ts';
import { storeContract } from './store-contract.ts';
import { tempDir } from './helpers.ts';

storeContract(t, async (t) => {
  const store = new SqliteStore(join(tempDir(t), 'contract.db'));
  t.teardown(() => store.close());
  return store;
});
