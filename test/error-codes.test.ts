import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LIBRARY_ERROR_CODES } from '../clients/lib/errors.ts';
import { ERROR_CODES } from '../schemas/src/common.ts';
import { REQUIREMENTS_FILE, ROOT } from '../scripts/spec.ts';

const HEADER = '| code | meaning | rule |';
const LIBRARY_HEADER = '| code | meaning |';
const LIBRARY_DOC = 'clients/lib/README.md';

/** The rows of the one table in a Markdown file whose header starts with `header`. */
function errorTable(markdown: string, header = HEADER, file = 'errors.md'): { code: string; meaning: string; rule: string }[] {
  const lines = markdown.split('\n');
  const starts = lines.flatMap((l, i) => (l.startsWith(header) ? [i] : []));
  if (starts.length !== 1) throw new Error(`${file} must hold exactly one table starting with "${header}", found ${starts.length}`);
  const rows: { code: string; meaning: string; rule: string }[] = [];
  for (const line of lines.slice(starts[0] + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const code = /^`([A-Z_]+)`$/.exec(cells[0] ?? '');
    if (!code) throw new Error(`${file} row without a code in backticks: ${line}`);
    rows.push({ code: code[1], meaning: cells[1] ?? '', rule: (cells[2] ?? '').replace(/[`[\]]/g, '') });
  }
  return rows;
}

const rows = errorTable(readFileSync(join(ROOT, 'spec/v1/errors.md'), 'utf8'));
const libraryRows = errorTable(readFileSync(join(ROOT, LIBRARY_DOC), 'utf8'), LIBRARY_HEADER, LIBRARY_DOC);
const requirementIds = new Set(
  (JSON.parse(readFileSync(join(ROOT, REQUIREMENTS_FILE), 'utf8')) as { requirements: { id: string }[] }).requirements.map((r) => r.id),
);

t.test('every code of ERROR_CODES has exactly one row in the errors.md table', async (t) => {
  for (const code of ERROR_CODES) t.equal(rows.filter((r) => r.code === code).length, 1, code);
});

t.test('every row of the errors.md table is a code of ERROR_CODES', async (t) => {
  for (const { code } of rows) t.ok((ERROR_CODES as readonly string[]).includes(code), `${code} is in ERROR_CODES`);
  t.equal(rows.length, ERROR_CODES.length);
});

t.test('every row has a meaning and a rule ID that exists in requirements.json', async (t) => {
  for (const { code, meaning, rule } of rows) {
    t.ok(meaning.length > 0, `${code} has a meaning`);
    t.ok(requirementIds.has(rule), `${code} enforces ${JSON.stringify(rule)}, a requirement of the spec`);
  }
});

t.test('every code of LIBRARY_ERROR_CODES has exactly one row in the library error table of clients/lib/README.md', async (t) => {
  for (const code of LIBRARY_ERROR_CODES) t.equal(libraryRows.filter((r) => r.code === code).length, 1, code);
});

t.test('every row of the library error table is a code of LIBRARY_ERROR_CODES and has a meaning', async (t) => {
  for (const { code, meaning } of libraryRows) {
    t.ok((LIBRARY_ERROR_CODES as readonly string[]).includes(code), `${code} is in LIBRARY_ERROR_CODES`);
    t.ok(meaning.length > 0, `${code} has a meaning`);
  }
  t.equal(libraryRows.length, LIBRARY_ERROR_CODES.length);
});

t.test('no library error code is also a wire error code', async (t) => {
  for (const code of LIBRARY_ERROR_CODES) t.notOk((ERROR_CODES as readonly string[]).includes(code), code);
});

t.test('the table parser refuses a table without codes in backticks', async (t) => {
  t.throws(() => errorTable(`${HEADER}\n|---|---|---|\n| BAD_JSON | x | ENV-JSON-1 |\n`), /without a code in backticks/);
  t.throws(() => errorTable('no table here'), /exactly one table/);
  t.throws(
    () => errorTable(`${LIBRARY_HEADER}\n|---|---|\n| TIMEOUT | x |\n`, LIBRARY_HEADER, LIBRARY_DOC),
    /README.md row without a code in backticks/,
  );
});
