/**
 * A joined session: its events exactly once and in seq order (async iterator and emitter), the
 * message views folded from them, and the commands a participant sends into it.
 */
import { filters, topics } from '../../protocol/topics.ts';
import type {
  CommandDataOf,
  EventDataOf,
  EventEnvelope,
  HistoryQuery as HistoryGetData,
  Part,
  SessionState,
} from '../../schemas/src/index.ts';
import type { Ack, CommandOptions } from './command-ledger.ts';
import type { AskOptions, InputRequestHandle, InputResolution, SendOptions, SessionEvents, SessionLink } from './session-types.ts';
import { ConsumerCursor } from './consumer-cursor.ts';
import { Emitter } from './emitter.ts';
import type { TetherError } from './errors.ts';
import { newId } from './ids.ts';
import { EpochBoard, type PresenceState, type PresenceStatus } from './liveness.ts';
import { MessageFold } from './message-fold.ts';
import type { SeqStore } from './seq-store.ts';
import { SessionFeed, parseHistoryPage, type FeedItem, type HistoryPage, type SessionFeedOptions } from './session-feed.ts';
import { StreamWriter, type StreamWriterOptions } from './stream-writer.ts';

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
  /** Runs and streams this client opened in the session and still holds. */
  private readonly myRuns = new Set<string>();
  private readonly myStreams = new Set<string>();
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
        // 10 s, then the feed asks again with a new request id [CLIENT-RESUME-6].
        history: async (q, signal) =>
          parseHistoryPage((await link.request('history.get', { ...q }, { signal, timeoutMs: 10_000 })).data, sid),
        deliver: (item) => this.deliver(item),
        advanced: () => this.cursor.commit(),
        failed: (err) => this.fail(err),
        online: () => link.online(),
      },
      opts,
    );
    const listening = () => (['item', 'event', 'message', 'reset'] as const).some((e) => this.listenerCount(e) > 0);
    this.cursor = new ConsumerCursor(
      sid,
      store,
      lastSeq,
      () => this.feed.lastSeq,
      listening,
      () => this.messages.openFloor(),
    );
    this.pendingStart = lastSeq;
  }

  /** The topics this session is followed on: events, state, and presence when watched. */
  filters(): string[] {
    const f = [topics.events(this.sid), topics.sessionState(this.sid)];
    if (this.watchPresence) f.push(filters.presence(this.sid));
    return f;
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

  /** Internal: the connection is down; live events are held until the next catch-up. */
  hold(): void {
    if (this.pendingStart === undefined) this.feed.hold();
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
    if (event === 'item' || event === 'event' || event === 'message' || event === 'reset' || event === 'rewind') this.cursor.dropInitial();
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
  command(type: string, data: Record<string, unknown>, opts: CommandOptions = {}): Promise<Ack> {
    return this.link.command(this.sid, type, data, opts);
  }

  /** A complete message (text or parts). */
  send(content: string | Part[], opts: SendOptions = {}): Promise<Ack> {
    const parts = typeof content === 'string' ? [{ kind: 'text' as const, text: content }] : content;
    const data: CommandDataOf<'message.send'> = { msgId: opts.msgId ?? newId('m'), role: opts.role ?? this.link.defaultRole, parts };
    if (opts.replyToSeq !== undefined) data.replyToSeq = opts.replyToSeq;
    return this.command('message.send', data, { id: opts.id });
  }

  /** Opens a token stream (message.start is sent at once). */
  stream(opts: StreamWriterOptions & { msgId?: string; role?: SendOptions['role']; runId?: string } = {}): StreamWriter {
    const msgId = opts.msgId ?? newId('m');
    this.myStreams.add(msgId);
    return new StreamWriter(
      this.sid,
      msgId,
      {
        submit: (type, data, o) => this.command(type, data, o),
        resendFrom: (id) => this.link.resendFrom(id),
        finished: () => this.myStreams.delete(msgId),
      },
      { role: opts.role ?? this.link.defaultRole, runId: opts.runId },
      opts,
    );
  }

  async startRun(opts: { runId?: string; title?: string; id?: string } = {}): Promise<{ runId: string; seq: number }> {
    const runId = opts.runId ?? newId('r');
    const data: CommandDataOf<'run.start'> = { runId };
    if (opts.title !== undefined) data.title = opts.title;
    const ack = await this.command('run.start', data, { id: opts.id });
    this.myRuns.add(runId);
    this.link.runOpened();
    return { runId, seq: ack.seq };
  }

  finishRun(
    runId: string,
    status: 'completed' | 'failed' | 'cancelled',
    opts: { summary?: string; error?: string; id?: string } = {},
  ): Promise<Ack> {
    const data: CommandDataOf<'run.finish'> = { runId, status };
    if (opts.summary !== undefined) data.summary = opts.summary;
    if (opts.error !== undefined) data.error = opts.error;
    return this.command('run.finish', data, { id: opts.id }).then((ack) => {
      if (this.myRuns.delete(runId)) this.link.runClosed();
      return ack;
    });
  }

  /** Asks the agent to cancel a run; it confirms with run.finish status cancelled. */
  cancelRun(runId: string, reason?: string, opts: { id?: string } = {}): Promise<Ack> {
    const data: CommandDataOf<'run.cancel'> = { runId };
    if (reason !== undefined) data.reason = reason;
    return this.command('run.cancel', data, opts);
  }

  /** Steering guidance; it supersedes earlier steers of the same run. */
  steer(text: string, opts: { runId?: string; id?: string } = {}): Promise<Ack> {
    const data: CommandDataOf<'steer'> = { text };
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
    const data: CommandDataOf<'input.request'> = { requestId, prompt: opts.prompt };
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

  /**
   * For an agent that came back: completes as failed every stream of this principal that is open
   * in the session but not written by this client, and finishes as failed every such run
   * [AGENT-RECOVER-1]. Call it before new work in the session.
   */
  async recover(reason = 'the agent restarted and cannot continue'): Promise<{ streams: string[]; runs: string[] }> {
    const state = this.latestState ?? (await this.nextState(2000));
    const done = { streams: [] as string[], runs: [] as string[] };
    if (!state) return done;
    const gone = (err: unknown, code: string) => (err as TetherError).code === code;
    for (const m of state.openMessages) {
      if (m.sender !== this.link.principal || this.myStreams.has(m.msgId)) continue;
      await this.command('message.complete', { msgId: m.msgId, status: 'failed', error: reason }).then(
        () => done.streams.push(m.msgId),
        (err) => {
          if (!gone(err, 'STREAM_NOT_OPEN')) throw err;
        },
      );
    }
    for (const r of state.openRuns) {
      if (r.agent !== this.link.principal || this.myRuns.has(r.runId)) continue;
      await this.command('run.finish', { runId: r.runId, status: 'failed', error: reason }).then(
        () => done.runs.push(r.runId),
        (err) => {
          if (!gone(err, 'RUN_NOT_FOUND')) throw err;
        },
      );
    }
    return done;
  }

  private nextState(ms: number): Promise<SessionState | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => (off(), resolve(undefined)), ms);
      const off = this.on('state', (s) => (clearTimeout(timer), off(), resolve(s)));
    });
  }

  /** One raw history page (the feed pages by itself; this is for tools and tests). */
  async history(q: Omit<HistoryGetData, 'sid'> = {}): Promise<HistoryPage> {
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
    // Stop following: unsubscribe and forget the session [CLIENT-LEAVE-1].
    void this.link.detach(this);
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
      if (item.kind === 'reset') this.emit('reset', { atSeq: item.atSeq, state: item.state });
      else this.emit('rewind', { headSeq: item.headSeq });
    }
    this.cursor.commit();
  }

  private onResolved(e: EventEnvelope): void {
    const d = e.data as EventDataOf<'input.resolved'>;
    const r: InputResolution = { ...d, seq: e.seq };
    this.resolved.set(d.requestId, r);
    for (const w of this.resolutionWaiters.get(d.requestId) ?? []) w(r);
    this.resolutionWaiters.delete(d.requestId);
  }
}
