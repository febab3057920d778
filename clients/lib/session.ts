/**
 * A joined session: its events exactly once and in seq order (async iterator and emitter), the
 * message views folded from them, and the commands a participant sends into it.
 */
import type { EventEnvelope, Part, SessionState } from '../../schemas/src/index.ts';
import type { Ack } from './command-ledger.ts';
import { ConsumerCursor } from './consumer-cursor.ts';
import { Emitter } from './emitter.ts';
import { newId } from './ids.ts';
import { EpochBoard, type PresenceState, type PresenceStatus } from './liveness.ts';
import { MessageFold, type MessageView } from './message-fold.ts';
import type { Reply, RequestOptions } from './request-ledger.ts';
import type { SeqStore } from './seq-store.ts';
import { SessionFeed, parseHistoryPage, type FeedItem, type HistoryPage, type SessionFeedOptions } from './session-feed.ts';
import { StreamWriter, type StreamWriterOptions } from './stream-writer.ts';

type D = Record<string, any>;

export interface SessionEvents {
  /** Every item in order: events and resets. */
  item: (item: FeedItem) => void;
  event: (event: EventEnvelope) => void;
  /** Cursor expired: replace your state with this snapshot; events continue from atSeq + 1. */
  reset: (reset: { atSeq: number; state: SessionState }) => void;
  /** A message view changed (text so far, completion). */
  message: (view: MessageView) => void;
  /** The retained session state (a display snapshot, not the log). */
  state: (state: SessionState) => void;
  /** A participant device's presence changed (stale epochs are ignored). */
  presence: (key: string, presence: PresenceState | undefined) => void;
  /** The session cannot be followed any more (e.g. no longer a participant). */
  error: (err: Error) => void;
}

export interface JoinOptions extends SessionFeedOptions {
  /** Start after this seq instead of the stored one (0: from the beginning). */
  after?: number;
  /** Where lastSeq is kept (default: the client's store). */
  seqStore?: SeqStore;
  /** Also follow participants' presence (default false). */
  presence?: boolean;
}

export interface SendOptions {
  role?: 'user' | 'agent' | 'system' | 'tool';
  msgId?: string;
  replyToSeq?: number;
  /** Command id (reuse it to retry a command the application sent before). */
  id?: string;
}

export interface AskOptions {
  prompt: string;
  requestId?: string;
  answerSchema?: Record<string, unknown>;
  /** When the host applies onTimeout (Date, ISO string, or ms from now). */
  deadline?: Date | string | number;
  onTimeout?: { policy: 'default'; value: unknown } | { policy: 'fail' } | { policy: 'wait' };
  risk?: 'low' | 'medium' | 'high';
  to?: string[];
  runId?: string;
  id?: string;
}

export interface InputResolution {
  requestId: string;
  outcome: 'answered' | 'default' | 'failed';
  value?: unknown;
  decidedBy: 'person' | 'timeout';
  by: string;
  requestSeq: number;
  /** Seq of the input.resolved event. */
  seq: number;
}

export interface InputRequestHandle {
  requestId: string;
  /** Seq of the input.requested event. */
  seq: number;
  /** The outcome, taken only from the input.resolved event [INPUT-AGENT-1]. */
  resolution: Promise<InputResolution>;
}

/** What a session needs from its client. */
export interface SessionLink {
  readonly principal: string;
  readonly defaultRole: 'user' | 'agent';
  command(sid: string, type: string, data: Record<string, unknown>, opts?: { id?: string; orderKey?: string }): Promise<Ack>;
  request(type: string, data: Record<string, unknown>, opts?: RequestOptions): Promise<Reply>;
  online(): boolean;
  confirm(cid: string, sid: string, seq: number): void;
  setPresence(sid: string, status: PresenceStatus): Promise<void>;
  detach(session: Session): Promise<void>;
}

function toIso(t: Date | string | number): string {
  if (typeof t === 'string') return t;
  return (typeof t === 'number' ? new Date(Date.now() + t) : t).toISOString();
}

export class Session extends Emitter<SessionEvents> implements AsyncIterable<FeedItem> {
  /** Message views folded from the events delivered so far. */
  readonly messages = new MessageFold();
  /** Participants' device presence, newest epoch wins. */
  readonly presence = new EpochBoard<PresenceState>();
  private readonly feed: SessionFeed;
  private latestState?: SessionState;
  private readonly cursor: ConsumerCursor;
  private readonly resolved = new Map<string, InputResolution>();
  private readonly resolutionWaiters = new Map<string, ((r: InputResolution) => void)[]>();
  private failure?: Error;
  private left = false;
  /** lastSeq to start from, until start(); live events meanwhile are held. */
  private pendingStart?: number;
  private readonly held: EventEnvelope[] = [];

  constructor(
    readonly sid: string,
    private readonly link: SessionLink,
    private readonly store: SeqStore,
    lastSeq: number,
    readonly watchPresence: boolean,
    opts: SessionFeedOptions = {},
  ) {
    super();
    this.feed = new SessionFeed(
      sid,
      {
        history: async (q, signal) => parseHistoryPage((await link.request('history.get', { ...q }, { signal })).data, sid),
        deliver: (item) => this.deliver(item),
        advanced: () => this.cursor.commit(),
        failed: (err) => this.fail(err),
        online: () => link.online(),
      },
      opts,
    );
    const listening = () => (['item', 'event', 'message', 'reset'] as const).some((e) => this.listenerCount(e) > 0);
    this.cursor = new ConsumerCursor(sid, store, lastSeq, () => this.feed.lastSeq, listening);
    this.pendingStart = lastSeq;
  }

  /** Internal: begins the catch-up once the events subscription is granted. */
  start(): void {
    if (this.pendingStart === undefined) return;
    const seq = this.pendingStart;
    this.pendingStart = undefined;
    // The feed holds live events back until its first history page is delivered.
    this.feed.start(seq);
    if (this.held.length) this.feed.onLive(this.held.splice(0));
  }

  /** Seq of the last event delivered (or covered by a history page). */
  get lastSeq(): number {
    return this.feed.lastSeq;
  }

  /** The latest retained session state seen (for display; the log is the truth). */
  get state(): SessionState | undefined {
    return this.latestState;
  }

  get stats(): SessionFeed['stats'] {
    return this.feed.stats;
  }

  /** Internal hooks used by the client. */
  onLive(events: EventEnvelope[]): void {
    if (this.pendingStart !== undefined) this.held.push(...events);
    else this.feed.onLive(events);
  }

  onState(state: SessionState): void {
    if (!state || state.sid !== this.sid) return;
    if (this.latestState && this.latestState.headSeq > state.headSeq) return;
    this.latestState = state;
    this.emit('state', state);
    this.feed.onHeadHint(state.headSeq);
  }

  onPresence(principal: string, device: string, presence: PresenceState | undefined): void {
    const key = `${principal}/${device}`;
    if (presence === undefined) this.presence.clear(key);
    else if (typeof presence.epoch === 'number' && this.presence.offer(key, presence)) this.emit('presence', key, presence);
  }

  resync(): void {
    if (this.pendingStart === undefined) this.feed.resync();
  }

  setPageLimit(max: number): void {
    this.feed.setPageLimit(max);
  }

  // ------------------------------------------------------------------ consuming

  /** Items in seq order; the first iterator also gets every item since join. */
  [Symbol.asyncIterator](): AsyncIterableIterator<FeedItem> {
    return this.cursor.iterator();
  }

  override on<K extends keyof SessionEvents>(event: K, fn: SessionEvents[K]): () => void {
    // An application that listens instead of iterating does not need the join-time queue:
    // listeners see items from the moment they are attached (attach them right after join).
    if (event === 'item' || event === 'event' || event === 'message' || event === 'reset') this.cursor.dropInitial();
    return super.on(event, fn);
  }

  /** Resolves with the input.resolved outcome of a request (already seen or future). */
  resolution(requestId: string): Promise<InputResolution> {
    const seen = this.resolved.get(requestId);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const list = this.resolutionWaiters.get(requestId) ?? [];
      list.push(resolve);
      this.resolutionWaiters.set(requestId, list);
    });
  }

  // ------------------------------------------------------------------ commands

  /** Any command of this session; resolves with the ack (retried until answered). */
  command(type: string, data: Record<string, unknown>, opts: { id?: string; orderKey?: string } = {}): Promise<Ack> {
    return this.link.command(this.sid, type, data, opts);
  }

  /** A complete message (text or parts). */
  send(content: string | Part[], opts: SendOptions = {}): Promise<Ack> {
    const parts = typeof content === 'string' ? [{ kind: 'text' as const, text: content }] : content;
    const data: D = { msgId: opts.msgId ?? newId('m'), role: opts.role ?? this.link.defaultRole, parts };
    if (opts.replyToSeq !== undefined) data.replyToSeq = opts.replyToSeq;
    return this.command('message.send', data, { id: opts.id });
  }

  /** Opens a token stream (message.start is sent at once). */
  stream(opts: StreamWriterOptions & { msgId?: string; role?: SendOptions['role']; runId?: string } = {}): StreamWriter {
    const msgId = opts.msgId ?? newId('m');
    return new StreamWriter(
      this.sid,
      msgId,
      (type, data, orderKey) => this.command(type, data, { orderKey }),
      { role: opts.role ?? this.link.defaultRole, runId: opts.runId },
      opts,
    );
  }

  async startRun(opts: { runId?: string; title?: string; id?: string } = {}): Promise<{ runId: string; seq: number }> {
    const runId = opts.runId ?? newId('r');
    const data: D = { runId };
    if (opts.title !== undefined) data.title = opts.title;
    const ack = await this.command('run.start', data, { id: opts.id });
    return { runId, seq: ack.seq };
  }

  finishRun(runId: string, status: 'completed' | 'failed' | 'cancelled', opts: { summary?: string; error?: string; id?: string } = {}): Promise<Ack> {
    const data: D = { runId, status };
    if (opts.summary !== undefined) data.summary = opts.summary;
    if (opts.error !== undefined) data.error = opts.error;
    return this.command('run.finish', data, { id: opts.id });
  }

  /** Asks the agent to cancel a run; it confirms with run.finish status cancelled. */
  cancelRun(runId: string, reason?: string, opts: { id?: string } = {}): Promise<Ack> {
    const data: D = { runId };
    if (reason !== undefined) data.reason = reason;
    return this.command('run.cancel', data, opts);
  }

  /** Steering guidance; it supersedes earlier steers of the same run. */
  steer(text: string, opts: { runId?: string; id?: string } = {}): Promise<Ack> {
    const data: D = { text };
    if (opts.runId !== undefined) data.runId = opts.runId;
    return this.command('steer', data, { id: opts.id });
  }

  /** The agent confirms it applied the steer at steerSeq. */
  applySteer(steerSeq: number, opts: { id?: string } = {}): Promise<Ack> {
    return this.command('steer.apply', { steerSeq }, opts);
  }

  /** Asks humans for input; the handle's resolution comes from the input.resolved event. */
  async ask(opts: AskOptions): Promise<InputRequestHandle> {
    const requestId = opts.requestId ?? newId('in');
    const data: D = { requestId, prompt: opts.prompt };
    if (opts.answerSchema !== undefined) data.answerSchema = opts.answerSchema;
    if (opts.deadline !== undefined) data.deadline = toIso(opts.deadline);
    if (opts.onTimeout !== undefined) data.onTimeout = opts.onTimeout;
    if (opts.risk !== undefined) data.risk = opts.risk;
    if (opts.to !== undefined) data.to = opts.to;
    if (opts.runId !== undefined) data.runId = opts.runId;
    const resolution = this.resolution(requestId);
    const ack = await this.command('input.request', data, { id: opts.id });
    return { requestId, seq: ack.seq, resolution };
  }

  /** Answers an input request; the first valid answer wins (later ones get CONFLICT). */
  answer(requestId: string, value: unknown, opts: { id?: string } = {}): Promise<Ack> {
    return this.command('input.answer', { requestId, value }, opts);
  }

  addParticipant(principal: string, role: 'owner' | 'member' | 'viewer' | 'approver' | 'agent', opts: { id?: string } = {}): Promise<Ack> {
    return this.command('participant.add', { principal, role }, opts);
  }

  removeParticipant(principal: string, opts: { id?: string } = {}): Promise<Ack> {
    return this.command('participant.remove', { principal }, opts);
  }

  /** Closes the session for everyone (owner only). */
  closeSession(reason?: string, opts: { id?: string } = {}): Promise<Ack> {
    return this.command('session.close', reason === undefined ? {} : { reason }, opts);
  }

  /** One raw history page (the feed pages by itself; this is for tools and tests). */
  async history(q: { after?: number; to?: number; limit?: number; compact?: boolean } = {}): Promise<HistoryPage> {
    return parseHistoryPage((await this.link.request('history.get', { sid: this.sid, ...q })).data, this.sid);
  }

  /** Publishes this device's presence in the session (retained, with the connection epoch). */
  setPresence(status: PresenceStatus): Promise<void> {
    return this.link.setPresence(this.sid, status);
  }

  /** Stops following the session (unsubscribes); iterators end. */
  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    this.feed.stop();
    this.cursor.commit();
    await this.store.flush?.();
    this.cursor.end();
    await this.link.detach(this);
  }

  /** Internal: the client closed or the subscription was refused. */
  fail(err: Error): void {
    if (this.failure || this.left) return;
    this.failure = err;
    this.feed.stop();
    this.emit('error', err);
    this.cursor.end(err);
  }

  // ------------------------------------------------------------------ delivery

  private deliver(item: FeedItem): void {
    if (item.kind === 'event') {
      const e = item.event;
      if (e.sender === this.link.principal && e.cid) this.link.confirm(e.cid, this.sid, e.seq);
      const view = this.messages.apply(e);
      if (e.type === 'input.resolved') this.onResolved(e);
      this.cursor.push(item);
      this.emit('item', item);
      this.emit('event', e);
      if (view) this.emit('message', view);
    } else {
      this.messages.apply(item);
      this.cursor.push(item);
      this.emit('item', item);
      this.emit('reset', { atSeq: item.atSeq, state: item.state });
    }
    this.cursor.commit();
  }

  private onResolved(e: EventEnvelope): void {
    const d = e.data as D;
    const r: InputResolution = { ...(d as Omit<InputResolution, 'seq'>), seq: e.seq };
    this.resolved.set(d.requestId, r);
    for (const w of this.resolutionWaiters.get(d.requestId) ?? []) w(r);
    this.resolutionWaiters.delete(d.requestId);
  }
}

