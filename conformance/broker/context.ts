/**
 * The broker profile's view of a target: a broker URL and the principals the suite may connect as.
 * Each check gets a fresh BrokerCheckContext with its own peers; everything it opens is closed when
 * the check ends. The host profile's context extends it (a host is reached through its broker).
 */
import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { WirePeer, type ObservedTypes, type Peer } from '../wire-peer.ts';
import type { Probe } from '../core/probe.ts';
import { TcpProxy, hostPortOf } from '../harness/tcp-proxy.ts';

export interface Principal {
  name: string;
  password?: string;
}

export interface BrokerTargetOptions {
  url: string;
  /** Principals the suite may use; empty = anonymous loopback mode (fresh generated names). */
  users?: Principal[];
  /** A principal whose session quota a check may exhaust (pool mode only). */
  spare?: Principal;
  /** Extra mqtt.js options (TLS CA, ...). */
  mqtt?: IClientOptions;
  /** Reply timeout of each request (ms). */
  timeoutMs?: number;
}

export class BrokerTarget<O extends BrokerTargetOptions = BrokerTargetOptions> {
  private rotation = 0;

  constructor(readonly opts: O) {}

  get anonymous(): boolean {
    return !this.opts.users?.length;
  }

  nextRotation(): number {
    return this.rotation++;
  }
}

export interface PeerOptions {
  clientId?: string;
  proxy?: TcpProxy;
  clean?: boolean;
  timeoutMs?: number;
}

export class BrokerCheckContext<T extends BrokerTarget = BrokerTarget> {
  private readonly opened: Peer[] = [];
  private readonly proxies: TcpProxy[] = [];
  readonly suffix = randomBytes(3).toString('hex');
  private readonly rotation: number;

  constructor(
    readonly target: T,
    readonly t: Probe,
  ) {
    this.rotation = target.nextRotation();
  }

  /** The broker URL of the target. */
  get url(): string {
    return this.target.opts.url;
  }

  /** n distinct principals: generated names in anonymous mode, else taken (rotated) from the pool. */
  principals(n: number): string[] {
    if (this.target.anonymous) {
      return ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']
        .slice(0, n)
        .map((p, i) => (i < 6 ? `${p}-${this.suffix}` : `p${i}-${this.suffix}`));
    }
    const pool = this.target.opts.users!;
    if (pool.length < n) this.t.notTestable(`this check needs ${n} distinct principals; ${pool.length} given (--user)`);
    return Array.from({ length: n }, (_, i) => pool[(this.rotation + i) % pool.length].name);
  }

  /** A principal whose quota may be exhausted: a fresh name (anonymous mode) or --spare-user. */
  sparePrincipal(): string {
    if (this.target.anonymous) return `spare-${this.suffix}`;
    if (!this.target.opts.spare)
      this.t.notTestable("this check exhausts a principal's session quota: give one with --spare-user NAME:PASSWORD");
    return this.target.opts.spare.name;
  }

  /** The password of a principal of the pool (or the spare one); none in anonymous mode. */
  passwordOf(name: string): string | undefined {
    if (this.target.opts.spare?.name === name) return this.target.opts.spare.password;
    return this.target.opts.users?.find((u) => u.name === name)?.password;
  }

  /** Connects a wire peer as `principal` (optionally through a TCP proxy); closed after the check. */
  async peer(principal: string, opts: PeerOptions = {}): Promise<Peer> {
    const url = opts.proxy ? opts.proxy.url(this.url) : this.url;
    const extra: IClientOptions = { ...this.target.opts.mqtt };
    if (opts.proxy) extra.servername = hostPortOf(this.url).host;
    const p = await this.t.need(`connect as ${principal}`, () =>
      WirePeer.connect<ObservedTypes>(url, principal, {
        ...extra,
        password: this.passwordOf(principal),
        clientId: opts.clientId ?? `${principal}.cf${randomBytes(3).toString('hex')}`,
        clean: opts.clean ?? true,
        timeoutMs: opts.timeoutMs ?? this.target.opts.timeoutMs ?? 5000,
      }),
    );
    this.opened.push(p);
    return p;
  }

  /**
   * A loopback observer: a connection without user name, which a loopback-anonymous listener admits as a
   * read-only connection (spec/v1/security.md). Only meaningful in anonymous mode.
   */
  async observer(): Promise<Peer> {
    const name = `observer-${randomBytes(3).toString('hex')}`;
    const p = await this.t.need('connect a loopback observer (no user name)', () =>
      WirePeer.connect<ObservedTypes>(this.url, name, { ...this.target.opts.mqtt, username: undefined, clientId: name, timeoutMs: 5000 }),
    );
    this.opened.push(p);
    return p;
  }

  /** n peers of n distinct principals, for checks that need no session of their own. */
  async peers(n: number, opts: { timeoutMs?: number } = {}): Promise<Peer[]> {
    const out: Peer[] = [];
    for (const p of this.principals(n)) out.push(await this.peer(p, opts));
    return out;
  }

  async proxy(): Promise<TcpProxy> {
    const { host, port } = hostPortOf(this.url);
    const p = await TcpProxy.start(host, port);
    this.proxies.push(p);
    return p;
  }

  /** Subscribes; a refused subscription makes the check not testable. */
  async subscribe(peer: Peer, filter: string): Promise<void> {
    const granted = await this.t.need(`subscribe ${filter}`, () => peer.subscribe(filter));
    if (granted === 128) this.t.notTestable(`the broker refused ${peer.principal}'s subscription to ${filter}`);
  }

  /** Latest retained-or-live message seen on a topic. */
  last(peer: Peer, topic: string) {
    const xs = peer.on(topic);
    return xs[xs.length - 1];
  }

  async close(): Promise<void> {
    await Promise.all(this.opened.map((p) => p.close().catch(() => {})));
    await Promise.all(this.proxies.map((p) => p.close().catch(() => {})));
  }
}

/** Whether a raw mqtt.js connection was accepted: true at its CONNACK, false on an error or a close before it. */
export function accepted(client: MqttClient): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    client.once('connect', () => resolve(true));
    client.once('error', () => resolve(false));
    client.once('close', () => resolve(false));
  });
}
