/**
 * TetherClient: one MQTT connection, the command and request ledgers, the joined sessions, the
 * session index, liveness (agent card, presence) and the inbox. Everything that must survive a
 * reconnect is redone on every 'online': births, command and request resends, and a history
 * catch-up of every joined session.
 */
import type {
  AgentState,
  CommandDataOf,
  HistoryQuery as HistoryGetData,
  HostState,
  ReplyDataOf,
  RequestDataOf,
  SessionIndexEntry,
  SessionState,
} from '../../schemas/src/index.ts';
import { filters, parseTopic, topics } from '../../protocol/topics.ts';
import { transportOptionsOf, type ClientEvents, type ClientOptions, type Notification } from './client-options.ts';
import { CommandLedger, type Ack, type CommandOptions } from './command-ledger.ts';
import { Emitter } from './emitter.ts';
import { TetherError } from './errors.ts';
import { checkId, IdSequence, newSessionId, randomChars } from './ids.ts';
import { Inbox } from './inbox.ts';
import { batchEvents, decodePayload, type JsonObject } from './inbound.ts';
import { EpochBoard, Liveness, type AgentStatus, type PresenceState } from './liveness.ts';
import { MqttTransport } from './mqtt-transport.ts';
import { RequestLedger, type Reply, type RequestOptions } from './request-ledger.ts';
import { MemorySeqStore, type SeqStore } from './seq-store.ts';
import { parseHistoryPage, type HistoryPage, type SessionFeedOptions } from './session-feed.ts';
import { IndexWatch } from './index-watch.ts';
import type { SessionIndex } from './session-index.ts';
import { StateWatchers } from './state-watchers.ts';
import { Session } from './session.ts';
import type { JoinOptions, SessionLink } from './session-types.ts';
import type { ConnectionState, Transport } from './transport.ts';

export class TetherClient extends Emitter<ClientEvents> {
  readonly principal: string;
  readonly clientId: string;
  /** tether/v1/replies/{principal}/{clientId}: where the host answers this client [ENV-REPLY-1]. */
  readonly replyTo: string;
  /** Agents' cards and status, newest epoch wins (after watchAgents()). */
  readonly agents = new EpochBoard<AgentState>();
  /** Hosts' births and deaths, newest epoch wins. */
  readonly hosts = new EpochBoard<HostState>();
  /** The host this client works with: configured, or the first seen online. */
  private hostId?: string;
  /** This principal's agent inbox (verbs work without watching; watchInbox() adds the doorbell). */
  readonly inbox: Inbox;
  private readonly transport: Transport;
  private readonly commands: CommandLedger;
  private readonly requests: RequestLedger;
  private readonly liveness: Liveness;
  private readonly ids = new IdSequence();
  private readonly decoder = new TextDecoder();
  private readonly sessions = new Map<string, Session>();
  private readonly seqStore: SeqStore;
  private readonly feedDefaults: SessionFeedOptions;
  /** Listeners of watchSessionState, by sid. */
  private maxHistoryPage?: number;
  private readonly link: SessionLink;
  private readonly stateWatchers: StateWatchers;
  private readonly indexWatch: IndexWatch;
  private closed = false;
  private started?: Promise<void>;

  /** Connects and resolves once online (subscriptions granted). */
  static async connect(opts: ClientOptions): Promise<TetherClient> {
    const client = new TetherClient(opts);
    await client.start(opts.firstConnectTimeoutMs);
    return client;
  }

  constructor(private readonly opts: ClientOptions) {
    super();
    checkId(opts.principal, 'principal');
    if (opts.persistent && !opts.device && !opts.clientId) {
      throw new TetherError('INVALID_ARGUMENT', 'a persistent client needs a stable device name (or clientId) [MQTT-SESSION-1]');
    }
    const device = opts.device ?? `d${randomChars(10)}`;
    checkId(device, 'device');
    this.principal = opts.principal;
    this.clientId = opts.clientId ?? `${opts.principal}.${device}`;
    checkId(this.clientId, 'clientId');
    this.replyTo = topics.replies(this.principal, this.clientId);
    this.liveness = new Liveness(this.principal, device, opts.agent, opts.presenceWill);
    this.seqStore = opts.seqStore ?? new MemorySeqStore();
    this.feedDefaults = opts.feed ?? {};
    const send = (topic: string, payload: string) => void this.transport.publish(topic, payload).catch(() => {});
    this.commands = new CommandLedger(send, this.replyTo, { resendAfterMs: opts.commandResendMs });
    this.hostId = opts.hostId;
    this.requests = new RequestLedger(send, topics.requests(this.principal), this.replyTo, opts.requestTimeoutMs);
    this.inbox = new Inbox(this.principal, (type, data) => this.request(type, data));
    this.link = {
      principal: this.principal,
      defaultRole: opts.agent ? 'agent' : 'user',
      command: (sid, type, data, o) => this.command(sid, type, data, o),
      request: (type, data, o) => this.request(type, data, o),
      online: () => this.state === 'online',
      confirm: (cid, sid, seq) => this.commands.confirm(cid, sid, seq),
      resendFrom: (id) => this.commands.resendFrom(id),
      setPresence: (sid, status) => this.liveness.setPresence(sid, status),
      runOpened: () => this.liveness.runOpened(),
      runClosed: () => this.liveness.runClosed(),
      detach: async (session) => {
        if (this.sessions.get(session.sid) !== session) return;
        this.sessions.delete(session.sid);
        const filters = [...session.filters(), this.liveness.forgetPresence(session.sid)];
        await Promise.all(filters.map((f) => this.transport.unsubscribe(f)));
      },
    };
    const transportOptions = transportOptionsOf(opts, this.clientId, () => this.liveness.nextConnection());
    if (!opts.transport && !opts.url) throw new TetherError('INVALID_ARGUMENT', 'give url (or a transport factory)');
    this.transport = opts.transport ? opts.transport(transportOptions) : new MqttTransport(transportOptions);
    this.liveness.attach(this.transport);
    // A joined session still needs its state topic when the last watcher goes.
    this.stateWatchers = new StateWatchers(this.transport, (sid) => this.sessions.has(sid));
    // A cleared index entry: no longer a participant, stop following [CLIENT-LEAVE-1].
    this.indexWatch = new IndexWatch(this.principal, this.transport, this.link.request, (sid) =>
      this.sessions.get(sid)?.fail(new TetherError('NOT_PARTICIPANT', `removed from session ${sid}`, undefined, undefined, sid)),
    );
    this.transport.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.transport.on('state', (state) => this.onState(state));
    this.transport.on('refused', (filter) => this.onRefused(filter));
    this.transport.on('error', (err) => this.emit('error', err));
  }

  get state(): ConnectionState {
    return this.transport.state;
  }

  /** Epoch of the current connection (carried by births and the Will). */
  get epoch(): number {
    return this.liveness.epoch;
  }

  /** Commands sent and not yet answered. */
  get pendingCommands(): number {
    return this.commands.size;
  }

  /** Command counters: submitted, resent, acked, duplicates, rate limited, failed. */
  get commandStats(): CommandLedger['stats'] {
    return this.commands.stats;
  }

  /** Starts connecting; resolves when online. Safe to call more than once. */
  start(timeoutMs = 15_000): Promise<void> {
    this.started ??= new Promise<void>((resolve, reject) => {
      for (const f of [this.replyTo, filters.hostState(), ...this.liveness.ownTopics()]) this.transport.subscribe(f).catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (err?: Error) => {
        clearTimeout(timer);
        offState();
        offError();
        if (err) reject(err);
        else resolve();
      };
      const offState = this.transport.on('state', (s) => {
        if (s === 'online') done();
        else if (s === 'closed') done(new TetherError('CLOSED', 'closed before the first connection'));
      });
      const offError = this.transport.on('error', (err) => done(err));
      timer = setTimeout(() => {
        done(new TetherError('TIMEOUT', `no connection to ${this.opts.url} within ${timeoutMs} ms`));
        void this.close();
      }, timeoutMs);
      this.transport.start();
    });
    return this.started;
  }

  // ------------------------------------------------------------------ sessions

  /** Creates a session (this principal becomes its owner) and returns its sid. */
  async createSession(opts: CommandDataOf<'session.create'> & { sid?: string; id?: string } = {}): Promise<string> {
    const { sid = newSessionId(), id, title, participants, metadata } = opts;
    const data = Object.fromEntries(Object.entries({ title, participants, metadata }).filter(([, v]) => v !== undefined));
    await this.command(sid, 'session.create', data, { id });
    return sid;
  }

  /**
   * Follows a session: subscribes to its events and state, then catches up from the stored
   * lastSeq. The returned Session is an async iterator of its events, exactly once, in order.
   */
  async join(sid: string, opts: JoinOptions = {}): Promise<Session> {
    checkId(sid, 'sid');
    const existing = this.sessions.get(sid);
    if (existing) return existing;
    if (this.closed) throw new TetherError('CLOSED', 'client closed');
    const store = opts.seqStore ?? this.seqStore;
    const lastSeq = opts.after ?? (await store.load(sid)) ?? 0;
    const session = new Session(sid, this.link, store, lastSeq, opts.presence ?? false, { ...this.feedDefaults, ...opts });
    if (this.maxHistoryPage) session.setPageLimit(this.maxHistoryPage);
    this.sessions.set(sid, session);
    try {
      await Promise.all(session.filters().map((f) => this.transport.subscribe(f)));
    } catch (err) {
      this.sessions.delete(sid);
      for (const f of session.filters()) void this.transport.unsubscribe(f);
      if ((err as TetherError).code === 'SUBSCRIBE_REFUSED') {
        // The broker does not say why; the host does.
        await this.request('history.get', { sid, after: 0, limit: 1 });
      }
      throw err;
    }
    session.start();
    return session;
  }

  /** The joined session with this sid, if any. */
  session = (sid: string): Session | undefined => this.sessions.get(sid);

  /** One history page of any session the principal takes part in. */
  async history(sid: string, q: Omit<HistoryGetData, 'sid'> = {}): Promise<HistoryPage> {
    return parseHistoryPage((await this.request('history.get', { sid, ...q })).data, sid);
  }

  async listSessions(opts: RequestDataOf<'sessions.list'> = {}): Promise<SessionIndexEntry[]> {
    return ((await this.request('sessions.list', { ...opts })).data as ReplyDataOf<'sessions.page'>).sessions;
  }

  /**
   * The live index of this principal's sessions (retained index topics), including sessions
   * others started while this client was away.
   */
  watchSessions(): Promise<SessionIndex> {
    return this.indexWatch.watch();
  }

  async watchNotifications(): Promise<void> {
    await this.transport.subscribe(topics.notify(this.principal));
  }

  /** Follows every agent's retained card and status (stale epochs ignored). */
  async watchAgents(): Promise<EpochBoard<AgentState>> {
    await this.transport.subscribe(filters.agentState());
    return this.agents;
  }

  /**
   * Follows a session's retained state (head seq, open streams, open input requests) without
   * joining its log: what a session list shows. Returns a function that stops following.
   */
  watchSessionState(sid: string, fn: (state: SessionState) => void): () => void {
    checkId(sid, 'sid');
    return this.stateWatchers.add(sid, fn);
  }

  /** Follows this agent's inbox doorbell. */
  async watchInbox(): Promise<Inbox> {
    await this.transport.subscribe(topics.inbox(this.principal));
    return this.inbox;
  }

  /** An agent's own status (its card was given in the options). */
  setAgentStatus(status: Exclude<AgentStatus, 'offline'>, reason?: string): Promise<void> {
    return this.liveness.setAgentStatus(status, reason);
  }

  // ------------------------------------------------------------------ commands and requests

  /** Sends a command and resolves with its ack; retried with the same id until answered. */
  command(sid: string, type: string, data: Record<string, unknown>, opts: CommandOptions = {}): Promise<Ack> {
    checkId(sid, 'sid');
    const id = opts.id ?? this.ids.next();
    return this.commands.submit(sid, topics.submit(sid, this.principal), type, data, id, opts);
  }

  /** Sends a request and resolves with its reply (an `error` reply rejects with TetherError). */
  request(type: string, data: Record<string, unknown>, opts: RequestOptions = {}): Promise<Reply> {
    return this.requests.request(this.ids.next('r'), type, data, opts);
  }

  /** Publishes offline states, ends every session's iterators and disconnects (no Will). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.state === 'online') {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.liveness.farewell(), new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    }
    for (const s of [...this.sessions.values()]) await s.leave().catch(() => {});
    await this.seqStore.flush?.();
    this.commands.close();
    this.requests.close();
    await this.transport.close();
  }

  // ------------------------------------------------------------------ internals

  private onState(state: ConnectionState): void {
    this.emit('state', state);
    if (state !== 'online') {
      for (const s of this.sessions.values()) s.hold();
      return;
    }
    this.requests.newConnection();
    this.liveness.announce();
    // Always ask history after lastSeq on (re)connect; then resend what is unanswered, in order.
    for (const s of this.sessions.values()) s.resync();
    this.commands.resendAll();
    this.requests.resendAll();
    this.indexWatch.reconcile();
  }

  private onRefused(filter: string): void {
    for (const s of this.sessions.values()) {
      if (s.filters().includes(filter)) {
        s.fail(new TetherError('SUBSCRIBE_REFUSED', `the broker refused ${filter}: no longer a participant?`, undefined, undefined, s.sid));
        void this.link.detach(s);
      }
    }
  }

  private onHostState(state: HostState | undefined, hostId: string): void {
    if (!state || typeof state.epoch !== 'number') return;
    const prev = this.hosts.get(hostId);
    if (!this.hosts.offer(hostId, state)) return;
    // Every host's state is reported; only the host this client works with sets limits and
    // triggers a resync (another host, or a stale state of one, must not) [CLIENT-HOST-1].
    this.hostId ??= state.status === 'online' ? hostId : undefined;
    if (hostId !== this.hostId) {
      this.emit('host', state);
      return;
    }
    if (typeof state.limits?.maxPayloadBytes === 'number') this.commands.maxPayloadBytes = state.limits.maxPayloadBytes;
    const max = state.limits?.maxHistoryPage;
    if (typeof max === 'number') {
      this.maxHistoryPage = max;
      for (const s of this.sessions.values()) s.setPageLimit(max);
    }
    this.emit('host', state);
    // A host that restarted may have appended events it never published, and lost unacked
    // commands: catch up and resend [CLIENT-RETRY-3].
    if (prev && state.status === 'online' && state.epoch > prev.epoch) {
      for (const s of this.sessions.values()) s.resync();
      this.commands.resendAll();
      this.requests.resendAll(true);
    }
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    const t = parseTopic(topic);
    if (!t) return;
    const json = decodePayload(this.decoder, payload);
    if (json === null) return;
    switch (t.kind) {
      case 'replies':
        if (json && t.clientId === this.clientId) this.onReply(json);
        return;
      case 'events': {
        // A malformed batch (wrong sid, non-contiguous seqs) is dropped whole: the gap it leaves is
        // healed from history [CLIENT-BATCH-1].
        const events = batchEvents(json, t.sid);
        if (events) this.sessions.get(t.sid)?.onLive(events);
        return;
      }
      case 'sessionState':
        if (json) {
          this.sessions.get(t.sid)?.onState(json as SessionState);
          this.stateWatchers.deliver(t.sid, json as SessionState);
        }
        return;
      case 'presence':
        if (this.liveness.isOwnDevice(t.principal, t.device)) this.liveness.onOwnState(json, t.sid);
        this.sessions.get(t.sid)?.onPresence(t.principal, t.device, json as PresenceState | undefined);
        return;
      case 'sessionIndex':
        if (t.principal === this.principal) this.indexWatch.index?.onRetained(t.sid, json);
        return;
      case 'notify':
        if (json) this.emit('notification', json as Notification);
        return;
      case 'hostState':
        this.onHostState(json as HostState | undefined, t.hostId);
        return;
      case 'agentState':
        if (t.agentId === this.principal) this.liveness.onOwnState(json);
        if (!json) this.agents.clear(t.agentId);
        else if (typeof json.epoch === 'number' && json.agentId === t.agentId) this.agents.offer(t.agentId, json as AgentState);
        return;
      case 'inbox':
        if (t.agentId === this.principal) this.inbox.onDoorbell(json);
        return;
      default:
        return;
    }
  }

  private onReply(reply: JsonObject): void {
    if (typeof reply.re !== 'string' || typeof reply.type !== 'string') return;
    const data = (reply.data ?? {}) as JsonObject;
    if (this.commands.onReply(reply.type, reply.re, data)) return;
    this.requests.onReply({ type: reply.type, re: reply.re, data });
  }
}
