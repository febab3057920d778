/**
 * Builds the installable package into dist/ (run by `npm pack` / `npm publish` through `prepack`):
 * tsc compiles the runtime sources to JavaScript with declarations (tsconfig.build.json; `.ts` imports
 * become `.js`), the data files the compiled code reads at run time are copied next to it, and the
 * browser bundles of the client and of the web app are written. dist/ mirrors the repository layout, so every
 * `import.meta.dirname` join in the sources (schemas/v1, spec/v1/requirements.json,
 * conformance/exclusions.json, conformance/adapters) finds its file from the compiled location too.
 * The repository itself never runs dist/: `npm start`, `npm test` and `npx tether` use the sources.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { bundleClient } from './bundle-client.ts';
import { bundleWebApp } from '../broker/web-app.ts';

export const ROOT = join(import.meta.dirname, '..');
export const DIST = join(ROOT, 'dist');
export const BROWSER_BUNDLE = join(DIST, 'clients', 'tether-client.js');
/** The web app, served by an installed `tether broker` (which has no esbuild to bundle it). */
export const WEB_BUNDLE = join(DIST, 'clients', 'web', 'app.js');

/** Files read at run time, relative to the root, copied to the same place under dist/. */
export const RUNTIME_FILES = [
  'schemas/v1',
  'spec/v1/requirements.json',
  'spec/v1/errors.md',
  'conformance/exclusions.json',
  'conformance/adapters',
];

const log = (line: string) => process.stderr.write(`build: ${line}\n`);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
}

export async function build(): Promise<void> {
  const started = Date.now();
  // A clean tree every time: a source moved or deleted since the last build must not ship.
  rmSync(DIST, { recursive: true, force: true });
  // tsc's diagnostics go to stderr, so that `npm pack --json` keeps stdout for its JSON.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (compiled.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal})`);
  for (const path of RUNTIME_FILES) {
    const target = join(DIST, path);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(ROOT, path), target, { recursive: true, filter: (src) => !/__pycache__|\.pyc$/.test(src) });
  }
  const { bytes } = await bundleClient(BROWSER_BUNDLE, 'esm');
  const web = await bundleWebApp(WEB_BUNDLE);
  const files = filesUnder(DIST);
  log(
    `${files.length} files in ${relative(ROOT, DIST)}/ (browser bundle ${(bytes / 1024).toFixed(1)} KiB, web app ${(web.length / 1024).toFixed(1)} KiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  build().catch((err: Error) => {
    log(err.message);
    process.exit(1);
  });
}
