/** Starts a system under test (bench/server.ts) in a child process and talks to it over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerConfig, ServerMode, ServerReady } from './server.ts';

export interface ServerOptions {
  limits?: Record<string, number>;
  synchronous?: 'FULL' | 'NORMAL';
  /** For the host mode: the broker to connect to. */
  brokerUrl?: string;
  /** Directory for a V8 CPU profile of the server process (node --cpu-prof). */
  cpuProfDir?: string;
  /** Reuse this data directory (it is then not removed at stop). */
  dataDir?: string;
  /** Called when the server process exits without being asked to (a crash). */
  onCrash?: (mode: ServerMode, code: number | null, signal: NodeJS.Signals | null, error: string) => void;
}

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  external: number;
}

const stderrTails = new WeakMap<ChildProcess, () => string>();

export class ServerHandle {
  private nextId = 0;
  private readonly waiting = new Map<number, (result: unknown) => void>();
  private stopping = false;

  private constructor(
    readonly mode: ServerMode,
    readonly child: ChildProcess,
    readonly ready: ServerReady,
    readonly dataDir: string,
    private ownsDir: boolean,
    private readonly exited: Promise<number | null>,
    private readonly opts: ServerOptions,
  ) {
    child.on('message', (msg: { id?: number; result?: unknown }) => {
      if (msg.id === undefined) return;
      this.waiting.get(msg.id)?.(msg.result);
      this.waiting.delete(msg.id);
    });
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      if (this.ownsDir) rmSync(dataDir, { recursive: true, force: true });
      const tail = stderrTails.get(child)?.() ?? '';
      const error = /^\w*(Error|Exception)\b.*$/m.exec(tail)?.[0] ?? '';
      const frames = [...tail.slice(tail.indexOf(error)).matchAll(/^\s+at .*node_modules\/([^/]+)\//gm)].slice(0, 20).map((m) => m[1]);
      const where = [...new Set(frames)].join(' < ');
      opts.onCrash?.(mode, code, signal, error ? `${error}${where ? ` (in ${where})` : ''}` : '');
    });
  }

  get url(): string {
    return this.ready.url;
  }

  static async start(mode: ServerMode, opts: ServerOptions = {}): Promise<ServerHandle> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `tether-bench-${mode}-`));
    const config: ServerConfig = { mode, dataDir, limits: opts.limits, synchronous: opts.synchronous, brokerUrl: opts.brokerUrl };
    const execArgv = ['--import', 'tsx', '--expose-gc'];
    if (opts.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
    const child = fork(join(import.meta.dirname, 'server.ts'), [JSON.stringify(config)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // Its stderr goes on to ours; the tail is kept to say why it died.
    let tail = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString()).slice(-8000);
    });
    stderrTails.set(child, () => tail);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = await new Promise<ServerReady>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode} server did not start within 30 s`)), 30_000);
      child.on('message', (msg: { ready?: ServerReady }) => {
        if (msg.ready) clearTimeout(timer), resolve(msg.ready);
      });
      void exited.then((code) => (clearTimeout(timer), reject(new Error(`${mode} server exited with ${code} before it was ready`))));
    });
    return new ServerHandle(mode, child, ready, dataDir, !opts.dataDir, exited, opts);
  }

  private call<T>(op: string, timeoutMs = 30_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.mode} server did not answer ${op}`)), timeoutMs);
      this.waiting.set(id, (r) => (clearTimeout(timer), resolve(r as T)));
      this.child.send({ op, id });
    });
  }

  /** Memory of the server process after a full GC. */
  memory(): Promise<MemoryFigures> {
    return this.call<MemoryFigures>('rss');
  }

  /** CPU time (user + system, microseconds) the server process has used so far. */
  cpuMicros(): Promise<number> {
    return this.call<number>('cpu');
  }

  /**
   * Stops this server and starts another of the same mode on the same data directory (a restart
   * of broker and host together); the new handle owns the directory from then on.
   */
  async restart(): Promise<ServerHandle> {
    await this.stop(true);
    const next = await ServerHandle.start(this.mode, { ...this.opts, dataDir: this.dataDir });
    next.ownsDir = this.ownsDir;
    return next;
  }

  /** Clean stop (flushes a CPU profile when one is being taken); kills after a timeout. */
  async stop(keepData = false): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.call('stop', 25_000).catch(() => this.child.kill('SIGKILL'));
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsDir && !keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
