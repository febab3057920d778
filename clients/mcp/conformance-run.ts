/**
 * Runs the MCP project's conformance tool (`conformance server`) against `tether mcp --http`: an
 * embedded broker and host in a temporary directory, `tether mcp --http --port 0` as a child process,
 * then the tool with the expected failures of conformance-baseline.yml. Exits with the tool's code:
 * 0 when only the listed scenarios fail, 1 on a new failure or on a listed scenario that passes.
 *
 * Extra arguments go to the tool (e.g. `--scenario tools-list --verbose`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTether } from '../../broker/embedded.ts';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'tether-mcp-conformance-'));
const tether = await startTether({ mqttPort: 0, httpPort: 0, dataDir: join(work, 'data'), synchronous: 'NORMAL', logLevel: 'warn' });
const mcp = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    join(root, 'bin', 'tether.ts'),
    'mcp',
    '--http',
    '--port',
    '0',
    '--url',
    tether.mqttUrl,
    '--user',
    'conformance-agent',
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let code = 1;
try {
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('tether mcp --http printed no URL within 30 s')), 30_000);
    mcp.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /MCP endpoint (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    mcp.once('exit', (c) => reject(new Error(`tether mcp exited with ${c}`)));
  });
  const bin = join(root, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  const args = [
    bin,
    'server',
    '--url',
    url,
    '--expected-failures',
    join(import.meta.dirname, 'conformance-baseline.yml'),
    '--output-dir',
    join(work, 'results'),
    ...process.argv.slice(2),
  ];
  const tool = spawn(process.execPath, args, { stdio: 'inherit', cwd: work });
  code = await new Promise<number>((resolve) => tool.once('exit', (c) => resolve(c ?? 1)));
} catch (err) {
  console.error(`mcp conformance: ${(err as Error).message}`);
} finally {
  mcp.kill('SIGTERM');
  await new Promise((r) => (mcp.exitCode === null ? mcp.once('exit', r) : r(undefined)));
  await tether.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
