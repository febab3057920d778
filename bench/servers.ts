/** The bench's servers: one child process per system under test, started, shared, restarted and stopped. */
import { join } from 'node:path';
import { ServerHandle, type ServerOptions } from './server-handle.ts';
import type { ServerMode } from './server.ts';

export interface ServersOptions {
  /** A quick run reuses one process per mode and configuration. */
  reuse: boolean;
  /** The limits given to Tether hosts (the bench must not be rate-limited). */
  limits: ServerOptions['limits'];
  /** Where V8 CPU profiles of Tether server processes go, per workload (--profile). */
  profileDir?: string;
}

/**
 * Systems under test, one child process each. A full run starts a fresh one for every workload;
 * a quick run reuses one per mode and configuration (starting a process costs seconds), except
 * where a figure needs a fresh process (footprint).
 */
export class Servers {
  readonly running = new Set<ServerHandle>();
  private readonly shared = new Map<string, ServerHandle>();

  private readonly reuse: boolean;

  constructor(private readonly opts: ServersOptions) {
    this.reuse = opts.reuse;
  }

  /** Rejects the workload running against a server when that server process dies. */
  private crashed?: (err: Error) => void;

  private async start(mode: ServerMode, workload: string, opts: ServerOptions): Promise<ServerHandle> {
    const s = await ServerHandle.start(mode, {
      ...opts,
      onCrash: (m, code, signal, error) => {
        this.running.delete(s);
        for (const [k, v] of this.shared) if (v === s) this.shared.delete(k);
        this.crashed?.(
          new Error(`the ${m} server process died during ${workload} (exit code ${code}, signal ${signal})${error ? `: ${error}` : ''}`),
        );
      },
      limits: mode === 'tether' || mode === 'host' ? this.opts.limits : undefined,
      cpuProfDir: this.opts.profileDir && (mode === 'tether' || mode === 'host') ? join(this.opts.profileDir, workload) : undefined,
    });
    this.running.add(s);
    return s;
  }

  /**
   * Runs fn against a server of the mode. fn may restart it (host and broker restart) through
   * the callback it is given.
   */
  async use<T>(
    mode: ServerMode,
    workload: string,
    fn: (s: ServerHandle, restart: () => Promise<ServerHandle>) => Promise<T>,
    opts: ServerOptions & { fresh?: boolean } = {},
  ): Promise<T> {
    const key = `${mode}/${opts.synchronous ?? ''}`;
    const reuse = this.reuse && !opts.fresh;
    let s = (reuse && this.shared.get(key)) || (await this.start(mode, workload, opts));
    if (reuse) this.shared.set(key, s);
    const restart = async () => {
      this.running.delete(s);
      s = await s.restart();
      this.running.add(s);
      if (reuse) this.shared.set(key, s);
      return s;
    };
    const crash = new Promise<never>((_, reject) => (this.crashed = reject));
    try {
      return await Promise.race([fn(s, restart), crash]);
    } finally {
      this.crashed = undefined;
      if (!reuse && this.running.has(s)) await this.stop(s);
    }
  }

  /**
   * The split deployment: a bare Aedes and the session host in a process of its own
   * (`tether host --broker`), so that broker and host each get a core. fn gets the broker.
   */
  async useSplit<T>(workload: string, fn: (broker: ServerHandle, cpuMicros: () => Promise<number>) => Promise<T>): Promise<T> {
    return this.use(
      'aedes',
      workload,
      async (broker) => {
        const host = await this.start('host', `${workload}-split-host`, { brokerUrl: broker.url });
        try {
          return await fn(broker, async () => (await broker.cpuMicros()) + (await host.cpuMicros()));
        } finally {
          if (this.running.has(host)) await this.stop(host);
        }
      },
      { fresh: true },
    );
  }

  async stop(s: ServerHandle): Promise<void> {
    this.running.delete(s);
    await s.stop();
  }

  async stopAll(): Promise<void> {
    this.shared.clear();
    await Promise.all([...this.running].map((s) => this.stop(s).catch(() => {})));
  }
}
