import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { missingFigures, type BenchResults } from '../bench/report.ts';
import { tempDir } from './helpers.ts';

// No timing is asserted: the machine running the tests is shared. Only that every workload ran,
// saw no lost, repeated or reordered event (the run exits non-zero if it did) and reported every figure.
t.test('the quick benchmark run completes and reports every figure', async (t) => {
  t.setTimeout(600_000);
  const out = tempDir(t, 'tether-bench-quick-');
  const root = join(import.meta.dirname, '..');
  let stderr = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), '--quick', '--out', out], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', resolve);
  });
  t.equal(code, 0, `bench --quick exited with ${code}: ${stderr.slice(-2000)}`);
  for (const f of ['latest.json', 'latest.md', 'latency.svg']) t.ok(existsSync(join(out, f)), `${f} was written`);
  if (!existsSync(join(out, 'latest.json'))) return;
  const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
  t.equal(results.mode, 'quick');
  t.same(results.failures, [], 'no workload failed');
  t.same(missingFigures(results), [], 'no figure is missing or not finite');
  t.equal(results.latency.length, 2, 'two concurrency levels');
  t.ok(results.targets.length >= 4, 'every target is evaluated');
  t.match(readFileSync(join(out, 'latest.md'), 'utf8'), /\| workload \| Tether \|/);
  const svg = readFileSync(join(out, 'latency.svg'), 'utf8');
  t.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.match(svg, /<\/svg>\n$/);
  t.equal((svg.match(/<polyline /g) ?? []).length, 6, 'Tether, Tether with the host in its own process, and raw curves for each level');
});
