/** Shared test helpers: a real embedded Tether on ephemeral ports in a temp dir, and wire peers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { startTether, type Tether, type TetherOptions } from '../broker/embedded.ts';
import { WirePeer } from '../conformance/wire-peer.ts';

export const quietLogger = () => pino({ level: process.env.TETHER_TEST_LOG ?? 'silent' });

export function tempDir(t: Test, prefix = 'tether-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startTestTether(t: Test, opts: TetherOptions = {}): Promise<Tether> {
  const tether = await startTether({
    mqttPort: 0,
    httpPort: 0,
    dataDir: opts.dataDir ?? tempDir(t),
    logger: quietLogger(),
    synchronous: 'NORMAL',
    ...opts,
  });
  t.teardown(() => tether.close());
  return tether;
}

export async function peer(t: Test, url: string, principal: string, opts: Parameters<typeof WirePeer.connect>[2] = {}): Promise<WirePeer> {
  const p = await WirePeer.connect(url, principal, opts);
  t.teardown(() => p.close());
  return p;
}

let sessionCounter = 0;
export function sid(prefix = 's'): string {
  return `${prefix}-${process.pid}-${++sessionCounter}`;
}

/** Creates a session owned by `owner` with the given other participants, and returns its id. */
export async function createSession(owner: WirePeer, participants: { principal: string; role: string }[] = [], title = 'test'): Promise<string> {
  const id = sid();
  const reply = await owner.command(id, 'session.create', { title, participants });
  if (reply.type !== 'ack') throw new Error(`session.create failed: ${JSON.stringify(reply)}`);
  return id;
}

export { WirePeer };

import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildTether {
  child: ChildProcess;
  mqttUrl: string;
  httpUrl: string;
  exited: Promise<number | null>;
}

/** Runs `tether broker` as a child process (real signals, real kill -9) and waits until it is up. */
export async function spawnTether(t: Test, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildTether> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'bin', 'tether.ts'), 'broker', '--port', '0', '--http-port', '0', ...args], {
    env: { ...process.env, TETHER_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let stderr = '';
  const urls = await new Promise<{ mqttUrl: string; httpUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tether did not start within 20 s: ${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /MQTT (\S+) {2}WebSocket \S+ {2}health (\S+)\/healthz/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ mqttUrl: m[1], httpUrl: m[2] });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tether exited with ${code} before starting: ${stderr}`));
    });
  });
  return { child, exited, ...urls };
}
