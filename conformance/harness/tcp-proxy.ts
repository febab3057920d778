/**
 * A TCP proxy the suite puts between a participant and the broker, so that it can cut connections in
 * the middle of a stream (fault injection) without touching either side.
 */
import net from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private server!: net.Server;
  port = 0;
  /** Connections accepted so far. */
  accepted = 0;
  private refusing = false;
  /** When each connection arrived (Date.now()), refused ones included. */
  readonly attempts: number[] = [];

  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  static async start(targetHost: string, targetPort: number, listenPort = 0): Promise<TcpProxy> {
    const p = new TcpProxy(targetHost, targetPort);
    await p.listen(listenPort);
    return p;
  }

  private listen(port: number): Promise<void> {
    this.server = net.createServer((client) => {
      this.attempts.push(Date.now());
      if (this.refusing) {
        client.destroy();
        return;
      }
      this.accepted++;
      client.setNoDelay(true);
      const upstream = net.connect(this.targetPort, this.targetHost);
      upstream.setNoDelay(true);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** Rewrites a broker URL so that it goes through this proxy. */
  url(original: string): string {
    const u = new URL(original);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString().replace(/\/$/, u.pathname === '/' && !original.endsWith('/') ? '' : '/');
  }

  /** Cuts every open connection abruptly (no DISCONNECT: the broker publishes Wills). */
  cut(): number {
    const n = this.sockets.size / 2;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return n;
  }

  /** While refusing, new connections are closed at once (the broker looks down). */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  get open(): number {
    return this.sockets.size / 2;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function hostPortOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  const defaults: Record<string, number> = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ssl:': 8883, 'ws:': 80, 'wss:': 443 };
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : (defaults[u.protocol] ?? 1883) };
}
