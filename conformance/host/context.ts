/**
 * The host profile's view of a target: a broker URL, the principals the suite may connect as, and the
 * host found through its retained birth. Each check gets a fresh HostCheckContext with its own peers
 * and random session ids; everything it opens is closed when the check ends.
 */
import { randomBytes } from 'node:crypto';
import type { IClientOptions } from 'mqtt';
import { WirePeer, type Received } from '../wire-peer.ts';
import type { Probe } from '../core/probe.ts';
import { TcpProxy, hostPortOf } from '../harness/tcp-proxy.ts';

type D = Record<string, any>;

export interface Principal {
  name: string;
  password?: string;
}

export interface HostTargetOptions {
  url: string;
  /** Principals the suite may use; empty = anonymous loopback mode (fresh generated names). */
  users?: Principal[];
  /** A principal whose session quota a check may exhaust (pool mode only). */
  spare?: Principal;
  hostId?: string;
  /** Extra mqtt.js options (TLS CA, ...). */
  mqtt?: IClientOptions;
  /** Reply timeout of each request (ms). */
  timeoutMs?: number;
}

export class HostTarget {
  hostState?: D;
  discoveryError?: string;
  private rotation = 0;

  constructor(readonly opts: HostTargetOptions) {}

  get anonymous(): boolean {
    return !this.opts.users?.length;
  }

  get limits(): D {
    return this.hostState?.limits ?? {};
  }

  get features(): string[] {
    return Array.isArray(this.hostState?.features) ? this.hostState!.features : [];
  }

  /** Finds the host through the retained births on tether/v1/host/+/state. */
  async discover(waitMs = 1500): Promise<void> {
    const name = this.opts.users?.[0] ?? { name: `observer-${randomBytes(3).toString('hex')}` };
    let peer: WirePeer | undefined;
    try {
      peer = await WirePeer.connect(this.opts.url, name.name, { ...this.opts.mqtt, password: name.password });
      await peer.subscribe('tether/v1/host/+/state');
      await new Promise((r) => setTimeout(r, waitMs));
      const states = peer.log.filter((m) => /^tether\/v1\/host\/[^/]+\/state$/.test(m.topic) && m.json).map((m) => m.json!);
      const latest = new Map<string, D>();
      for (const s of states) latest.set(String(s.hostId), s);
      const online = [...latest.values()].filter((s) => s.status === 'online' && (!this.opts.hostId || s.hostId === this.opts.hostId));
      if (online.length === 0) {
        this.discoveryError = `no online host state on tether/v1/host/${this.opts.hostId ?? '+'}/state within ${waitMs} ms (seen: ${[...latest.values()].map((s) => `${s.hostId}:${s.status}`).join(', ') || 'nothing'})`;
      } else if (online.length > 1) {
        this.discoveryError = `several online hosts (${online.map((s) => s.hostId).join(', ')}): choose one with --host-id`;
      } else {
        this.hostState = online[0];
      }
    } catch (err) {
      this.discoveryError = `cannot connect to ${this.opts.url} as ${name.name}: ${(err as Error).message}`;
    } finally {
      await peer?.close().catch(() => {});
    }
  }

  nextRotation(): number {
    return this.rotation++;
  }
}

export class HostCheckContext {
  private readonly peers: WirePeer[] = [];
  private readonly proxies: TcpProxy[] = [];
  private readonly suffix = randomBytes(3).toString('hex');
  private readonly rotation: number;
  private sidCounter = 0;

  constructor(
    readonly target: HostTarget,
    readonly t: Probe,
  ) {
    this.rotation = target.nextRotation();
  }

  get host(): D {
    return this.target.hostState!;
  }

  get hostId(): string {
    return String(this.host.hostId);
  }

  get limits(): D {
    return this.target.limits;
  }

  /** n distinct principals: generated names in anonymous mode, else taken (rotated) from the pool. */
  principals(n: number): string[] {
    if (this.target.anonymous)
      return ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']
        .slice(0, n)
        .map((p, i) => (i < 6 ? `${p}-${this.suffix}` : `p${i}-${this.suffix}`));
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

  private passwordOf(name: string): string | undefined {
    if (this.target.opts.spare?.name === name) return this.target.opts.spare.password;
    return this.target.opts.users?.find((u) => u.name === name)?.password;
  }

  /** Connects a wire peer as `principal` (optionally through a TCP proxy); closed after the check. */
  async peer(
    principal: string,
    opts: { clientId?: string; proxy?: TcpProxy; clean?: boolean; timeoutMs?: number } = {},
  ): Promise<WirePeer> {
    const url = opts.proxy ? opts.proxy.url(this.target.opts.url) : this.target.opts.url;
    const extra: IClientOptions = { ...this.target.opts.mqtt };
    if (opts.proxy) extra.servername = hostPortOf(this.target.opts.url).host;
    const p = await this.t.need(`connect as ${principal}`, () =>
      WirePeer.connect(url, principal, {
        ...extra,
        password: this.passwordOf(principal),
        clientId: opts.clientId ?? `${principal}.cf${randomBytes(3).toString('hex')}`,
        clean: opts.clean ?? true,
        timeoutMs: opts.timeoutMs ?? this.target.opts.timeoutMs ?? 5000,
      }),
    );
    this.peers.push(p);
    return p;
  }

  async proxy(): Promise<TcpProxy> {
    const { host, port } = hostPortOf(this.target.opts.url);
    const p = await TcpProxy.start(host, port);
    this.proxies.push(p);
    return p;
  }

  /** A fresh random session id (96 random bits). */
  sid(): string {
    return `cf-${randomBytes(12).toString('hex')}-${++this.sidCounter}`;
  }

  /** Creates a session owned by `owner`; a refusal makes the check not testable. */
  async session(owner: WirePeer, participants: { principal: string; role: string }[] = [], title = 'conformance'): Promise<string> {
    const sid = this.sid();
    const reply = await this.t.need('session.create', () => owner.command(sid, 'session.create', { title, participants }));
    if (reply.type !== 'ack') this.t.notTestable(`session.create was refused: ${JSON.stringify(reply.data)}`);
    return sid;
  }

  /** Subscribes; a refused subscription makes the check not testable. */
  async subscribe(peer: WirePeer, filter: string): Promise<void> {
    const granted = await this.t.need(`subscribe ${filter}`, () => peer.subscribe(filter));
    if (granted === 128) this.t.notTestable(`the broker refused ${peer.principal}'s subscription to ${filter}`);
  }

  /** Subscribes to a session's events and state topics. */
  async follow(peer: WirePeer, sid: string): Promise<void> {
    await this.subscribe(peer, `tether/v1/sessions/${sid}/events`);
    await this.subscribe(peer, `tether/v1/sessions/${sid}/state`);
  }

  /** Sends a command that must be accepted (a prerequisite of the check); returns its seq. */
  async ok(peer: WirePeer, sid: string, type: string, data: D, opts: { id?: string } = {}): Promise<number> {
    const reply = await this.t.need(`${type}`, () => peer.command(sid, type, data, opts));
    if (reply.type !== 'ack') this.t.notTestable(`${type} by ${peer.principal} was refused: ${JSON.stringify(reply.data)}`);
    return reply.data.seq as number;
  }

  /** The whole log, uncompacted, paged to the head (a prerequisite: failures make the check not testable). */
  async log(peer: WirePeer, sid: string, after = 0): Promise<D[]> {
    const events: D[] = [];
    let cursor = after;
    for (let i = 0; i < 1000; i++) {
      const page = await this.t.need('history.get', () => peer.request('history.get', { sid, after: cursor, compact: false }));
      if (page.type !== 'history.page') this.t.notTestable(`history.get was refused: ${JSON.stringify(page.data)}`);
      events.push(...page.data.events);
      if (!page.data.more || page.data.to <= cursor) return events;
      cursor = page.data.to;
    }
    return events;
  }

  /** Waits until `peer` received a live event with this seq on the session's events topic. */
  async waitSeq(peer: WirePeer, sid: string, seq: number, what = `event seq ${seq}`): Promise<D> {
    return peer.waitForEvent(sid, (e) => e.seq === seq, what);
  }

  /** Resolves after ms. */
  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  /** Latest retained-or-live message seen on a topic. */
  last(peer: WirePeer, topic: string): Received | undefined {
    const xs = peer.on(topic);
    return xs[xs.length - 1];
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.close().catch(() => {})));
    await Promise.all(this.proxies.map((p) => p.close().catch(() => {})));
  }
}

/** Text message data for message.send; the msgId is derived from the first argument (made a valid Id). */
export const text = (msgId: string, body = msgId, role = 'user'): D => {
  const id =
    msgId
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64) || 'm';
  return { msgId: id, role, parts: [{ kind: 'text', text: body }] };
};
