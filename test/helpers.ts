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

import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mosquittoConf } from '../broker/acl-mosquitto.ts';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Mosquitto {
  url: string;
  port: number;
  aclFile: string;
  /** Rewrites the ACL file and makes Mosquitto reload it (SIGHUP). */
  reloadAcl(text: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Debian's mosquitto on an ephemeral loopback port with a password file and an ACL file. */
export async function startMosquitto(t: Test, users: Record<string, string>, aclText: string): Promise<Mosquitto> {
  const dir = tempDir(t, 'mosquitto-');
  const passwordFile = join(dir, 'passwd');
  writeFileSync(passwordFile, '');
  for (const [user, password] of Object.entries(users)) execFileSync('mosquitto_passwd', ['-b', passwordFile, user, password]);
  const aclFile = join(dir, 'acl');
  writeFileSync(aclFile, aclText);
  const port = await freePort();
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(confFile, mosquittoConf({ port, passwordFile, aclFile, user: process.getuid?.() === 0 ? 'root' : undefined }));
  const child = spawn('mosquitto', ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  t.teardown(stop);
  // Wait until the listener accepts connections: bounded attempts, each awaiting a real connect result.
  for (let attempt = 0; ; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (attempt > 100 || child.exitCode !== null) throw new Error(`mosquitto did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    aclFile,
    async reloadAcl(text: string) {
      writeFileSync(aclFile, text);
      const before = stderr.length;
      child.kill('SIGHUP');
      // Mosquitto logs the reload on stderr; wait for that line (bounded).
      for (let i = 0; i < 100 && !/Reloading config/i.test(stderr.slice(before)); i++) await new Promise((r) => setTimeout(r, 20));
    },
    stop,
  };
}
