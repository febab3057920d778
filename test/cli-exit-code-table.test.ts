import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../clients/cli/exit-codes.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'clients', 'cli', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('\n## ', readme.indexOf('## Exit codes') + 1));
const rows = [...section.matchAll(/^\| (\d+) \| `([A-Z_]+)` \| (.+) \|$/gm)].map((m) => ({
  code: Number(m[1]),
  name: m[2],
  meaning: m[3],
}));

t.test('the README lists every exit code of EXIT, with the same number, and no other', async (t) => {
  t.same(
    rows.map((r) => [r.name, r.code]),
    Object.entries(EXIT),
    'README rows and EXIT agree in names, numbers and order',
  );
  t.equal(new Set(Object.values(EXIT)).size, Object.keys(EXIT).length, 'no number is used twice');
  for (const r of rows) t.ok(r.meaning.trim().length > 10, `${r.name} has a meaning`);
});
