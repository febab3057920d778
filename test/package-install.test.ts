/**
 * The package as people install it: `npm pack` (once), then `npm install --omit=dev --offline` of the
 * tarball into an empty project from the local npm cache, and from there the installed `tether`
 * command (broker, conformance), the client entry in a Node script and the types of every export.
 * Nothing here reads the repository's sources: a file the package forgets, or a dev dependency that
 * runtime code needs (tsx, typescript), fails this test.
 */
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { tempDir } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
};
const CHECK_ID = 'host.envelope.version';

const exec = promisify(execFile);

/**
 * The environment of the npm commands: this process' environment without the npm_* variables that
 * `npm test` sets for the repository (its package, its prefix, its lifecycle) except where the cache
 * and the config files are, and with the registry out of reach, so only the local cache can serve.
 */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$)/i.test(k) || /^npm_config_(cache|userconfig|globalconfig)$/i.test(k)),
  ),
  npm_config_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

const run = (cmd: string, args: string[], cwd: string, timeout = 60_000) => exec(cmd, args, { cwd, env, timeout, maxBuffer: 16 << 20 });

const work = tempDir(t, 'tether-package-');
const project = join(work, 'project');
mkdirSync(project);

let files: string[] = [];
let broker: Broker;

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
  license?: string;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
}

/**
 * The temporary project's lockfile: the tarball, and every other package as the repository's lockfile
 * has it (dev-only entries left out). `npm ci` put exactly those tarballs in the cache, but not always
 * the registry metadata that an install resolving version ranges, or a lockfile without `resolved`
 * URLs (omit-lockfile-registry-resolved), makes npm ask for; with a URL and an integrity, npm reads
 * the tarball from the cache by its digest.
 */
function projectLock(tarball: string, registry: string): object {
  const { '': root, ...rest } = (
    JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  ).packages;
  const pinned = Object.entries(rest)
    .filter(([, entry]) => !entry.dev)
    .map(([path, entry]): [string, LockEntry] => {
      if (entry.resolved || entry.link || !entry.version) return [path, entry];
      const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      return [path, { ...entry, resolved: `${registry}${name}/-/${name.split('/').pop()}-${entry.version}.tgz` }];
    });
  return {
    name: 'tether-install-check',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'tether-install-check', dependencies: { [PKG.name]: tarball } },
      [`node_modules/${PKG.name}`]: {
        version: PKG.version,
        resolved: tarball,
        license: root.license,
        dependencies: root.dependencies,
        bin: root.bin,
        engines: root.engines,
      },
      ...Object.fromEntries(pinned),
    },
  };
}

/** Packs the repository once and installs the tarball into the empty project; returns the tarball's file list. */
async function packAndInstall(): Promise<string[]> {
  const packed = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', work], ROOT, 120_000)).stdout) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = `file:../${packed[0].filename}`;
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'tether-install-check', private: true, type: 'module', dependencies: { [PKG.name]: tarball } }),
  );
  const registry = (await run('npm', ['config', 'get', 'registry'], project)).stdout.trim().replace(/\/?$/, '/');
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(projectLock(tarball, registry)));
  // --ignore-scripts: better-sqlite3's install step would download a prebuilt binary or compile SQLite
  // (minutes). The binary the repository's own install built for this Node is put in its place instead,
  // after checking both are the same release.
  await run('npm', ['install', '--omit=dev', '--offline', '--ignore-scripts'], project, 120_000);
  const sqlite = (root: string) => join(root, 'node_modules', 'better-sqlite3');
  const version = (root: string) => (JSON.parse(readFileSync(join(sqlite(root), 'package.json'), 'utf8')) as { version: string }).version;
  if (version(project) !== version(ROOT))
    throw new Error(`better-sqlite3 ${version(project)} installed, ${version(ROOT)} built in the repository`);
  mkdirSync(join(sqlite(project), 'build', 'Release'), { recursive: true });
  copyFileSync(
    join(sqlite(ROOT), 'build', 'Release', 'better_sqlite3.node'),
    join(sqlite(project), 'build', 'Release', 'better_sqlite3.node'),
  );
  return packed[0].files.map((f) => f.path);
}

// In a hook, so that a failed pack or install still runs the teardown (temp dirs, the broker).
t.before(async () => {
  files = await packAndInstall();
  broker = await startInstalledBroker();
});

t.test('the tarball holds compiled JavaScript with declarations and no sources, tests, fixtures or benchmarks', async (t) => {
  t.same(
    files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    [],
    'no TypeScript source',
  );
  t.same(
    files.filter((f) => /(^|\/)(test|tests|fixtures|bench|scripts)\//.test(f) || /\.test\.[jt]s$/.test(f)),
    [],
    'no tests, fixtures, benchmarks or scripts',
  );
  for (const f of [
    'bin/tether.js',
    'dist/bin/tether.js',
    'dist/broker/embedded.js',
    'dist/broker/embedded.d.ts',
    'dist/clients/lib/node.js',
    'dist/clients/lib/node.d.ts',
    'dist/clients/tether-client.js',
    'dist/clients/web/app.js',
    'dist/conformance/run.js',
    'dist/schemas/v1/Command.schema.json',
    'dist/spec/v1/requirements.json',
    'dist/conformance/exclusions.json',
    'dist/conformance/adapters/python/tether_adapter.py',
  ]) {
    t.ok(files.includes(f), `ships ${f}`);
  }
  t.same(
    files.filter(
      (f) =>
        f.endsWith('.js') &&
        f.startsWith('dist/') &&
        !['dist/clients/tether-client.js', 'dist/clients/web/app.js'].includes(f) &&
        !files.includes(f.replace(/\.js$/, '.d.ts')),
    ),
    [],
    'every compiled module has its declarations',
  );
});

t.test('the installed `tether --help` runs without tsx', async (t) => {
  const { stdout } = await run('npx', ['tether', '--help'], project);
  t.match(stdout, /usage: tether <command>/);
  t.match(stdout, /conformance/);
});

t.test('every export resolves with its types, and the browser condition keeps Node built-ins out', async (t) => {
  const name = PKG.name;
  // IsAny catches a declaration whose imports did not resolve (skipLibCheck hides the error itself).
  writeFileSync(
    join(project, 'check.ts'),
    `import { startTether, type Tether } from '${name}';
import { TetherClient, FileSeqStore, type Session } from '${name}/client';
import { TetherClient as BrowserClient } from '${name}/client/browser';
import * as bundle from '${name}/client/bundle';
import { runConformance } from '${name}/conformance';
import { topics } from '${name}/protocol/topics';
import { validator } from '${name}/protocol/validate';
import { SCHEMAS, type EventEnvelope } from '${name}/schemas';
import Command from '${name}/schemas/v1/Command.schema.json' with { type: 'json' };
import requirements from '${name}/spec/v1/requirements.json' with { type: 'json' };
type IsAny<T> = 0 extends 1 & T ? true : false;
type Typed<T> = IsAny<T> extends true ? never : true;
const typed: [Typed<Tether>, Typed<Session>, Typed<TetherClient>, Typed<FileSeqStore>, Typed<typeof BrowserClient>, Typed<typeof bundle.TetherClient>, Typed<typeof runConformance>, Typed<typeof topics>, Typed<typeof validator>, Typed<EventEnvelope>, Typed<typeof SCHEMAS>] = [true, true, true, true, true, true, true, true, true, true, true];
const started: (o: { mqttPort: number }) => Promise<Tether> = startTether;
void [typed, started, Command.$id, requirements];
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        resolveJsonModule: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['check.ts'],
    }),
  );
  const tsc = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project).then(
    () => '',
    (err: { stdout: string }) => err.stdout,
  );
  t.equal(tsc, '', 'a TypeScript consumer of every export type-checks');
  t.same(
    Object.keys(PKG.exports).filter(
      (k) =>
        !k.includes('*') && k !== './package.json' && !readFileSync(join(project, 'check.ts'), 'utf8').includes(`'${name}${k.slice(1)}'`),
    ),
    [],
    'the check imports every entry of the exports map',
  );

  writeFileSync(
    join(project, 'page.js'),
    `import { TetherClient, LocalStorageSeqStore } from '${name}/client';\nexport { TetherClient, LocalStorageSeqStore };\n`,
  );
  const page = await build({
    entryPoints: [join(project, 'page.js')],
    absWorkingDir: project,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    metafile: true,
  });
  const inputs = Object.keys(page.metafile.inputs);
  t.ok(
    inputs.some((i) => i.includes('dist/clients/lib/index.js')),
    'a browser build of the client entry gets clients/lib/index.js',
  );
  t.notOk(
    inputs.some((i) => i.includes('file-seq-store')),
    'and not the file-backed store of the Node entry',
  );
});

interface Broker {
  child: ChildProcess;
  mqttUrl: string;
  httpUrl: string;
}

/** `npx tether broker` of the installed package on ephemeral ports, up once it prints its URLs. */
async function startInstalledBroker(): Promise<Broker> {
  const child = spawn('npx', ['tether', 'broker', '--port', '0', '--http-port', '0', '--data', join(work, 'data')], {
    cwd: project,
    env: { ...env, TETHER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: npx runs the broker as a child, and teardown ends both.
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
  });
  let stderr = '';
  const urls = await new Promise<{ mqttUrl: string; httpUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the installed broker did not start within 20 s: ${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /MQTT (\S+) {2}WebSocket \S+ {2}health (\S+)\/healthz/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ mqttUrl: m[1], httpUrl: m[2] });
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the installed broker exited before starting: ${stderr}`));
    });
  });
  return { child, ...urls };
}

t.test('the installed client creates a session on the installed broker and gets its ack', async (t) => {
  writeFileSync(
    join(project, 'roundtrip.js'),
    `import { TetherClient, newSessionId } from '${PKG.name}/client';
const client = await TetherClient.connect({ url: process.argv[2], principal: 'alice' });
const ack = await client.command(newSessionId(), 'session.create', { title: 'from the installed package' });
await client.close();
console.log(JSON.stringify(ack));
`,
  );
  const { stdout } = await run(process.execPath, ['roundtrip.js', broker.mqttUrl], project, 30_000);
  const ack = JSON.parse(stdout) as { sid: string; seq: number; duplicate: boolean };
  t.match(ack, { sid: String, seq: Number, duplicate: false }, 'session.create is acknowledged with its seq');
});

t.test('the installed broker serves the web app, bundled when the package was packed', async (t) => {
  const page = await fetch(`${broker.httpUrl}/`);
  t.equal(page.status, 200, 'the page is served at /');
  t.match(await page.text(), /<script type="module" src="\/app\.js">/, 'it loads the bundle');
  const app = await fetch(`${broker.httpUrl}/app.js`);
  t.equal(app.status, 200, 'the bundle is served without esbuild (a dev dependency, not installed)');
  t.match(app.headers.get('content-type') ?? '', /javascript/);
  t.ok((await app.text()).length > 10_000, 'the bundle holds the app');
});

t.test('the installed conformance CLI runs a host check against that broker', async (t) => {
  const { stdout } = await run(
    'npx',
    ['tether', 'conformance', '--profile', 'host', '--broker', broker.mqttUrl, '--only', CHECK_ID],
    project,
    60_000,
  );
  t.match(stdout, new RegExp(`^ok 1 - ${CHECK_ID.replaceAll('.', '\\.')} `, 'm'));
  t.match(stdout, /1 pass, 0 fail/);
});
