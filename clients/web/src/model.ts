/**
 * The web app's state: one TetherClient over MQTT/WebSocket, the person's session index, the
 * retained state of each listed session (unread counts, streams, open input requests), the agents'
 * cards, and the session on screen. Everything durable comes from the log and the retained topics;
 * the browser keeps what it has read and the view of a session with its lastSeq (localStorage), and
 * this tab's device name (sessionStorage: a reload is the same device, a second tab another one).
 * A password or token is kept in memory only, for reconnects, and never stored.
 */
import { Emitter, LocalStorageSeqStore, TetherClient, randomDevice, type EpochBoard, type SessionIndex } from './lib.ts';
import type { AgentState, SessionIndexEntry, SessionState } from '../../../schemas/src/index.ts';
import { OpenSession } from './open-session.ts';
import { Notifier } from './notifier.ts';

export type WebAuth = 'anonymous' | 'password' | 'token' | 'password-or-token';

export interface WebConfig {
  auth: WebAuth;
  wsPath: string;
}

const DEVICE_KEY = 'tether.device';
const PRINCIPAL_KEY = 'tether.principal';
/** Set while signed in on this tab: a reload signs in again by itself where no secret is needed. */
const ACTIVE_KEY = 'tether.active';

export type Connection = 'signed-out' | 'connecting' | 'online' | 'offline';

export class WebModel extends Emitter<{ change: () => void }> {
  client?: TetherClient;
  principal?: string;
  device: string;
  connection: Connection = 'signed-out';
  /** The connection dropped at least once since sign-in (the banner says "reconnected"). */
  error?: string;
  index?: SessionIndex;
  agents?: EpochBoard<AgentState>;
  readonly states = new Map<string, SessionState>();
  current?: OpenSession;
  readonly notifier: Notifier;
  private readonly reads: LocalStorageSeqStore;
  private changeQueued = false;
  private readonly unwatch = new Map<string, () => void>();
  /**
   * The log's head per session as a history page reported it when the session was listed: the
   * retained state is not republished for plain messages, so its headSeq alone would undercount.
   */
  private readonly heads = new Map<string, number>();

  constructor(readonly config: WebConfig) {
    super();
    this.reads = new LocalStorageSeqStore('tether.read.', undefined, 0);
    this.notifier = new Notifier(
      () => this.changed(),
      () => this.current?.sid,
    );
    this.device = sessionStorage.getItem(DEVICE_KEY) ?? randomDevice();
    sessionStorage.setItem(DEVICE_KEY, this.device);
    document.addEventListener('visibilitychange', () => this.current?.setVisible(document.visibilityState !== 'hidden'));
    window.addEventListener('pagehide', () => this.current?.flush());
    window.addEventListener('hashchange', () => void this.route());
  }

  /** The principal this browser used last (no password is ever stored). */
  get rememberedPrincipal(): string {
    return this.attempted ?? localStorage.getItem(PRINCIPAL_KEY) ?? '';
  }

  /** The name of the last sign-in attempt, to fill the form again after a refusal. */
  private attempted?: string;

  /** Signed in, or a session from the cache on screen while the connection is made. */
  get showApp(): boolean {
    return Boolean(this.client || (this.principal && this.current));
  }

  /** A reload of a signed-in tab on a broker that needs no secret signs in again at once. */
  async resume(): Promise<void> {
    if (this.config.auth === 'anonymous' && sessionStorage.getItem(ACTIVE_KEY) && this.rememberedPrincipal)
      await this.signIn(this.rememberedPrincipal);
  }

  /** One re-render per microtask, however many events arrived. */
  changed(): void {
    if (this.changeQueued) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      this.notifier.badge(this.waitingCount());
      this.emit('change');
    });
  }

  async signIn(principal: string, password?: string, device?: string): Promise<void> {
    this.error = undefined;
    if (device && device !== this.device) {
      this.device = device;
      sessionStorage.setItem(DEVICE_KEY, device);
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}${this.config.wsPath}`;
    let client: TetherClient;
    try {
      client = new TetherClient({ url, principal, password, device: this.device, persistent: true });
    } catch (err) {
      this.error = describe(err);
      return this.changed();
    }
    this.connection = 'connecting';
    this.attempted = principal;
    this.principal = principal;
    // The session in the address is shown from its cache while the connection is made.
    const sid = sidOfHash();
    if (sid)
      this.current = new OpenSession(
        client,
        sid,
        { url, principal, password, device: this.device },
        undefined,
        () => this.changed(),
        (seq) => this.markRead(sid, seq),
      );
    this.changed();
    client.on('state', (s) => {
      if (this.client !== client) return;
      this.connection = s === 'online' ? 'online' : 'offline';
      this.changed();
    });
    client.on('error', (err) => {
      if (this.client !== client) return;
      this.error = describe(err);
      this.changed();
    });
    client.on('notification', (n) => this.notifier.onNotification(n, this.titleOf(n.sid)));
    try {
      await client.start(10_000);
    } catch (err) {
      await client.close().catch(() => {});
      this.current = undefined;
      this.principal = undefined;
      this.connection = 'signed-out';
      this.error = describe(err);
      sessionStorage.removeItem(ACTIVE_KEY);
      return this.changed();
    }
    this.client = client;
    this.connection = 'online';
    localStorage.setItem(PRINCIPAL_KEY, principal);
    sessionStorage.setItem(ACTIVE_KEY, '1');
    this.identity = { url, principal, password, device: this.device };
    this.index = await client.watchSessions();
    const follow = (e: SessionIndexEntry) => this.followState(e.sid);
    this.index.on('added', (e) => (follow(e), this.changed()));
    this.index.on('changed', () => this.changed());
    this.index.on('removed', (gone) => {
      this.unwatch.get(gone)?.();
      this.unwatch.delete(gone);
      this.states.delete(gone);
      this.changed();
    });
    for (const e of this.index.list()) follow(e);
    this.agents = await client.watchAgents();
    this.agents.on('change', () => this.changed());
    await client.watchNotifications();
    if (this.current) await this.startCurrent();
    this.changed();
  }

  private identity?: { url: string; principal: string; password?: string; device: string };

  async signOut(): Promise<void> {
    sessionStorage.removeItem(ACTIVE_KEY);
    await this.current?.close();
    this.current = undefined;
    for (const stop of this.unwatch.values()) stop();
    this.unwatch.clear();
    this.states.clear();
    this.heads.clear();
    const client = this.client;
    this.client = undefined;
    this.identity = undefined;
    this.principal = undefined;
    this.connection = 'signed-out';
    this.changed();
    await client?.close();
  }

  sessions(): SessionIndexEntry[] {
    return (this.index?.list() ?? []).slice().sort((a, b) => (this.updatedOf(b) > this.updatedOf(a) ? 1 : -1));
  }

  private updatedOf(e: SessionIndexEntry): string {
    return this.states.get(e.sid)?.updatedAt ?? e.updatedAt;
  }

  titleOf(sid: string): string {
    return this.index?.get(sid)?.title || this.states.get(sid)?.title || sid;
  }

  /** Events after what this person read on any tab of this browser. */
  unread(sid: string): number {
    const head = Math.max(this.states.get(sid)?.headSeq ?? 0, this.heads.get(sid) ?? 0);
    return Math.max(0, head - (this.reads.load(sid) ?? 0));
  }

  markRead(sid: string, seq: number): void {
    if ((this.reads.load(sid) ?? 0) >= seq) return;
    this.reads.save(sid, seq);
  }

  /** Sessions with an open input request: the title badge. */
  waitingCount(): number {
    let n = 0;
    for (const s of this.states.values()) if (s.openInputs.length) n++;
    return n;
  }

  /** Whether an agent (a principal with a card) created the session. */
  startedByAgent(e: SessionIndexEntry): boolean {
    return Boolean(this.agents?.get(e.createdBy));
  }

  agentList(): [string, AgentState][] {
    return (this.agents?.entries() ?? []).sort(([a], [b]) => a.localeCompare(b));
  }

  async open(sid: string): Promise<void> {
    if (location.hash !== hashOf(sid)) location.hash = hashOf(sid);
    else await this.route();
  }

  back(): void {
    if (location.hash) location.hash = '';
  }

  /** The address says which session is on screen: back and forward work, and a reload reopens it. */
  private async route(): Promise<void> {
    const sid = sidOfHash();
    if (this.current?.sid === sid || !this.client || !this.identity) return;
    const old = this.current;
    this.current = undefined;
    this.changed();
    await old?.close();
    if (!sid) return;
    this.current = new OpenSession(
      this.client,
      sid,
      this.identity,
      this.states.get(sid),
      () => this.changed(),
      (seq) => this.markRead(sid, seq),
    );
    this.changed();
    await this.startCurrent();
  }

  private async startCurrent(): Promise<void> {
    const open = this.current;
    await open?.start().catch((err: unknown) => {
      if (open !== this.current) return;
      open.error = describe(err);
      this.changed();
    });
  }

  async createSession(
    title: string,
    participants: { principal: string; role: 'member' | 'agent' | 'viewer' | 'approver' }[],
  ): Promise<void> {
    if (!this.client) return;
    const sid = await this.client.createSession({ title, participants });
    await this.open(sid);
  }

  private followState(sid: string): void {
    if (!this.client || this.unwatch.has(sid)) return;
    this.client.history(sid, { after: 0, limit: 1 }).then(
      (page) => {
        this.heads.set(sid, page.headSeq);
        this.changed();
      },
      () => {},
    );
    this.unwatch.set(
      sid,
      this.client.watchSessionState(sid, (state) => {
        const before = this.states.get(sid);
        if (before && before.headSeq > state.headSeq) return;
        this.states.set(sid, state);
        this.notifier.onState(state, this.titleOf(sid));
        this.changed();
      }),
    );
  }
}

export function hashOf(sid: string): string {
  return `#/s/${encodeURIComponent(sid)}`;
}

function sidOfHash(): string | undefined {
  const m = /^#\/s\/(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : undefined;
}

export function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'CONNECT_REFUSED') return 'Sign-in refused: check the name and the password or token.';
  if (e.code === 'INVALID_ARGUMENT') return 'Names may use letters, digits, dot, dash and underscore (up to 64).';
  if (e.code === 'TIMEOUT') return 'The broker did not answer. Is it running?';
  return e.message ? String(e.message) : String(err);
}
