/**
 * What an agent, client or device check gets: the suite's own broker and host (shared by the checks of
 * a run), a fresh principal for the implementation under test, its own TCP proxy (so that cutting its
 * connection disturbs no other check), the adapter process, and wire peers playing the other
 * participants. Everything is closed and every fault rule removed when the check ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Probe } from '../core/probe.ts';
import { AdapterProcess, type AdapterEvent } from '../harness/adapter.ts';
import type { ForwardRule, Held, PublishRule, Recorded, SuiteHost } from '../harness/suite-host.ts';
import { TcpProxy, hostPortOf } from '../harness/tcp-proxy.ts';
import type { CommandDataOf, CommandType } from '../../schemas/src/index.ts';
import { inFlight } from '../kit/waits.ts';
import { WirePeer } from '../wire-peer.ts';

/** The suite's own host is the reference host: its events are read as it writes them. */
type SuiteEvent = WirePeer['log'][number]['json'] & object;

export class ImplCheckContext {
  readonly principal: string;
  readonly device = 'conf';
  readonly suffix = randomBytes(3).toString('hex');
  adapter?: AdapterProcess;
  proxy?: TcpProxy;
  hello?: AdapterEvent;
  private readonly peers: WirePeer[] = [];
  private readonly removers: (() => void)[] = [];
  /** Messages this check's rules held back. */
  readonly held: Held[] = [];
  private readonly stateDir = mkdtempSync(join(tmpdir(), 'tether-impl-'));
  private sids = 0;

  constructor(
    readonly suite: SuiteHost,
    readonly t: Probe,
    readonly spawn: string,
    readonly profile: 'client' | 'agent' | 'device',
  ) {
    this.principal = `impl-${this.suffix}`;
    suite.watch(this.principal);
  }

  get clientIdHint(): string {
    return `${this.principal}.${this.device}`;
  }

  sid(): string {
    return `cf-${randomBytes(12).toString('hex')}-${++this.sids}`;
  }

  /** Starts the implementation under test (through this check's proxy) and waits for its hello. */
  async start(env: Record<string, string> = {}): Promise<AdapterProcess> {
    const { host, port } = hostPortOf(this.suite.url);
    this.proxy = await TcpProxy.start(host, port);
    this.adapter = new AdapterProcess(this.spawn, {
      TETHER_URL: this.proxy.url(this.suite.url),
      TETHER_PRINCIPAL: this.principal,
      TETHER_PASSWORD: '',
      TETHER_DEVICE: this.device,
      TETHER_STATE_DIR: this.stateDir,
      TETHER_PROFILE: this.profile,
      TETHER_HOST_ID: this.suite.hostId,
      ...env,
    });
    this.hello = await this.t.need("the adapter's hello", () => this.adapter!.waitFor((e) => e.event === 'hello', 'hello', 20000));
    return this.adapter;
  }

  /** start() then the connect op. */
  async connected(env: Record<string, string> = {}, op: Record<string, unknown> = {}): Promise<AdapterProcess> {
    const a = await this.start(env);
    const r = await this.t.need('connect', () => a.call({ op: 'connect', ...op }, (e) => e.event === 'connected', 'connected', 15000));
    if (r.event !== 'connected') this.t.notTestable(`the connect op failed: ${r.code} ${r.message ?? ''}`);
    return a;
  }

  /** A suite participant (another principal) connected straight to the suite's broker. */
  async peer(name: string): Promise<WirePeer> {
    const p = await this.t.need(`connect ${name}`, () => WirePeer.connect(this.suite.url, `${name}-${this.suffix}`, { timeoutMs: 8000 }));
    this.peers.push(p);
    return p;
  }

  /** A session owned by a suite peer with the implementation (and others) as participants. */
  async session(owner: WirePeer, role = 'member', others: { principal: string; role: string }[] = []): Promise<string> {
    const sid = this.sid();
    const r = await this.t.need('session.create', () =>
      owner.command(sid, 'session.create', { title: 'conformance', participants: [{ principal: this.principal, role }, ...others] }),
    );
    if (r.type !== 'ack') this.t.notTestable(`session.create was refused: ${JSON.stringify(r.data)}`);
    return sid;
  }

  async ok<K extends CommandType>(
    peer: WirePeer,
    sid: string,
    type: K,
    data: CommandDataOf<K>,
    opts: { id?: string } = {},
  ): Promise<number> {
    const r = await this.t.need(type, () => peer.command(sid, type, data, opts));
    if (r.type !== 'ack') this.t.notTestable(`${type} by ${peer.principal} was refused: ${JSON.stringify(r.data)}`);
    return r.data.seq as number;
  }

  /** The whole log of a session (uncompacted, paged), read by a suite peer. */
  async log(peer: WirePeer, sid: string, after = 0): Promise<SuiteEvent[]> {
    const events: SuiteEvent[] = [];
    let cursor = after;
    for (let i = 0; i < 500; i++) {
      const page = await this.t.need('history.get', () => peer.request('history.get', { sid, after: cursor, compact: false }));
      if (page.type !== 'history.page') this.t.notTestable(`history.get was refused: ${JSON.stringify(page.data)}`);
      events.push(...page.data.events);
      if (!page.data.more || page.data.to <= cursor) break;
      cursor = page.data.to;
    }
    return events;
  }

  /** The join op, waited for. */
  async join(sid: string, timeoutMs = 10000): Promise<AdapterEvent> {
    const r = await this.t.need(`join ${sid}`, () =>
      this.adapter!.call({ op: 'join', sid, ref: `join-${sid}` }, (e) => e.event === 'joined' && e.sid === sid, `joined ${sid}`, timeoutMs),
    );
    if (r.event !== 'joined') this.t.notTestable(`the join op failed: ${r.code} ${r.message ?? ''}`);
    return r;
  }

  /** Waits until the implementation delivered seq (or times out, returning undefined). */
  async delivered(sid: string, seq: number, timeoutMs = 8000): Promise<AdapterEvent | undefined> {
    return this.adapter!.waitFor(
      (e) => e.event === 'delivered' && e.sid === sid && Number(e.seq) >= seq,
      `delivery of seq ${seq}`,
      timeoutMs,
    ).catch(() => undefined);
  }

  /** Recorded traffic of the implementation. */
  wire(kind?: Recorded['kind']): Recorded[] {
    return this.suite.of(this.principal, kind);
  }

  /** Waits (up to timeoutMs) until the implementation has subscribed to a filter matching pred; then a moment for the broker to install it. */
  async subscribed(pred: (filter: string) => boolean = () => true, timeoutMs = 15000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.wire('subscribe').some((s) => pred(s.topic!))) {
      if (Date.now() > end) return false;
      await this.sleep(50);
    }
    await inFlight(100);
    return true;
  }

  commands(sid?: string): Recorded[] {
    return this.wire('publish').filter(
      (r) => /^tether\/v1\/sessions\/[^/]+\/submit\//.test(r.topic!) && (!sid || r.topic!.split('/')[3] === sid),
    );
  }

  requests(type?: string): Recorded[] {
    return this.wire('publish').filter((r) => r.topic === `tether/v1/requests/${this.principal}` && (!type || r.json?.type === type));
  }

  /** Adds a fault rule on deliveries to the implementation, for the duration of the check. */
  onForward(rule: ForwardRule): void {
    this.removers.push(this.suite.onForward(rule, this.held));
  }

  /** Adds a fault rule on publishes (the implementation's or the host's), for the duration of the check. */
  onPublish(rule: PublishRule): void {
    this.removers.push(this.suite.onPublish(rule, this.held));
  }

  /** Delivers what this check's rules held back, in order. */
  async release(): Promise<void> {
    await this.suite.release(this.held.splice(0));
  }

  /** Holds back every way an event containing `marker` could reach the implementation: live batches and history pages. */
  holdEventsContaining(sid: string, marker: string): () => Promise<void> {
    let active = true;
    this.onForward((p, topic, payload) =>
      active && p === this.principal && topic === `tether/v1/sessions/${sid}/events` && payload.includes(marker) ? 'hold' : 'pass',
    );
    this.onPublish((_p, topic, payload, fromHost) =>
      active && fromHost && topic.startsWith(`tether/v1/replies/${this.principal}/`) && payload.includes(marker) ? 'hold' : 'pass',
    );
    // Stops holding, then delivers what was held.
    return async () => {
      active = false;
      await this.release();
    };
  }

  /** Cuts the implementation's connection and keeps refusing new ones for downMs. */
  async cut(downMs = 400): Promise<void> {
    this.proxy!.refuse(true);
    this.proxy!.cut();
    await new Promise((r) => setTimeout(r, downMs));
    this.proxy!.refuse(false);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  async close(): Promise<void> {
    for (const r of this.removers) r();
    await this.adapter?.close(1500).catch(() => {});
    this.adapter?.kill();
    await Promise.all(this.peers.map((p) => p.close().catch(() => {})));
    await this.proxy?.close().catch(() => {});
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
