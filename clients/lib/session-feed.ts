/**
 * The client side of the resume rules: every event of a session exactly once, in seq order,
 * whatever the network does.
 *
 * - Live EventBatches are buffered by seq; duplicates (seq <= lastSeq, or already buffered) are dropped.
 * - On start and after every reconnect the feed asks history after lastSeq, page by page until
 *   `more` is false, while live events keep arriving into the buffer. The retained state's headSeq
 *   is only a hint: states are not published after every event [CLIENT-STATE-1].
 * - A page covers seqs from+1..to even where compaction left no event of their own (merged deltas,
 *   omitted chunks of completed messages), so lastSeq moves to `to` after the page.
 * - A gap in live events (next buffered seq > lastSeq + 1) that does not close within `gapWaitMs`
 *   becomes a range request (after = lastSeq, to = next buffered seq - 1).
 * - A page with `reset` (cursor older than retention) surfaces a reset item: the application
 *   replaces its state with the snapshot at atSeq, and events continue from atSeq + 1.
 * - While the connection is down the feed holds live events (a persistent session may deliver
 *   queued batches right after CONNACK); delivery resumes after the catch-up [CLIENT-RESUME-9].
 */
import type { EventEnvelope, HistoryQuery as HistoryGetData, SessionState } from '../../schemas/src/index.ts';
import { TetherError } from './errors.ts';

export type FeedItem =
  | { kind: 'event'; event: EventEnvelope }
  /** Cursor expired: the events up to atSeq are replaced by this snapshot [CLIENT-RESET-1]. */
  | { kind: 'reset'; atSeq: number; state: SessionState }
  /**
   * The host lost events it had published (its head is below lastSeq): the log is delivered again
   * from seq 1 as a new generation; drop what you built from the session [CLIENT-GAP-3].
   */
  | { kind: 'rewind'; headSeq: number };

export interface HistoryPage {
  sid: string;
  from: number;
  to: number;
  headSeq: number;
  events: EventEnvelope[];
  more: boolean;
  reset?: { atSeq: number; state: SessionState };
}

/** A history query as the feed sends it: the data of `history.get`, with after, limit and compact always set. */
export type HistoryQuery = HistoryGetData & Required<Pick<HistoryGetData, 'after' | 'limit' | 'compact'>>;

export interface SessionFeedOptions {
  /**
   * Let the host compact history (default true): a late joiner gets the partial message as one
   * merged delta, and completed streams as their message.completed only. With false every event
   * of the log is delivered as it was appended.
   */
  compact?: boolean;
  /** Events per history page (default 1000; lowered automatically to the host's maximum). */
  pageLimit?: number;
  /** How long a gap may stay open before a range request: default 500 ms, kept within 100 ms..2 s [CLIENT-GAP-1]. */
  gapWaitMs?: number;
  /** Delay before a failed catch-up is tried again (default 500 ms). */
  retryMs?: number;
}

export interface FeedDeps {
  /** One history.get; it should time out after 10 s so that the feed asks again with a new id [CLIENT-RESUME-6]. */
  history(q: HistoryQuery, signal: AbortSignal): Promise<HistoryPage>;
  /** Called synchronously, in order, once per event or reset. */
  deliver(item: FeedItem): void;
  /** lastSeq moved (after a delivery or a page that covered seqs without events). */
  advanced(lastSeq: number): void;
  /** The feed cannot continue (not a participant any more, session gone, malformed pages). */
  failed(err: Error): void;
  online(): boolean;
}

/** History errors after which asking again cannot help. */
const FATAL = new Set(['NOT_PARTICIPANT', 'SESSION_NOT_FOUND', 'FORBIDDEN', 'BAD_PAYLOAD', 'SCHEMA_INVALID', 'UNKNOWN_TYPE']);

function isSeq(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** The minimal shape check of an event: the envelope fields the feed relies on [ENV-UNKNOWN-1]. */
export function isEventEnvelope(e: unknown, sid: string): e is EventEnvelope {
  if (!e || typeof e !== 'object') return false;
  const x = e as Record<string, unknown>;
  return (
    isSeq(x.seq) &&
    x.seq >= 1 &&
    x.sid === sid &&
    typeof x.type === 'string' &&
    typeof x.sender === 'string' &&
    !!x.data &&
    typeof x.data === 'object'
  );
}

export function parseHistoryPage(data: unknown, sid: string): HistoryPage {
  const p = (data ?? {}) as Record<string, unknown>;
  const events = p.events;
  if (
    !isSeq(p.from) ||
    !isSeq(p.to) ||
    !Array.isArray(events) ||
    typeof p.more !== 'boolean' ||
    !events.every((e) => isEventEnvelope(e, sid))
  ) {
    throw new TetherError('BAD_PAYLOAD', `malformed history page for ${sid}`);
  }
  const reset = p.reset as { atSeq?: unknown; state?: unknown } | undefined;
  if (reset !== undefined && (!isSeq(reset.atSeq) || !reset.state || typeof reset.state !== 'object')) {
    throw new TetherError('BAD_PAYLOAD', `malformed reset in history page for ${sid}`);
  }
  return p as unknown as HistoryPage;
}

export class SessionFeed {
  private last = 0;
  private readonly buffer = new Map<number, EventEnvelope>();
  private hintHead = 0;
  private gen = 0;
  private catching = false;
  private again = false;
  private abort?: AbortController;
  /** The next page, asked for while the current one is delivered (same cursor rules as any page). */
  private prefetched?: { after: number; ac: AbortController; page: Promise<HistoryPage> };
  private gapTimer?: ReturnType<typeof setTimeout>;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  private readonly compact: boolean;
  private pageLimit: number;
  private readonly gapWaitMs: number;
  /** Grows while range requests bring nothing new, so a host that cannot fill a gap is not hammered. */
  private gapDelay: number;
  private readonly retryMs: number;
  /** Counters for observability and tests. */
  readonly stats = { live: 0, duplicates: 0, pages: 0, stalePages: 0, rangeRequests: 0, resets: 0, rewinds: 0 };

  constructor(
    readonly sid: string,
    private readonly deps: FeedDeps,
    opts: SessionFeedOptions = {},
  ) {
    this.compact = opts.compact ?? true;
    this.pageLimit = opts.pageLimit ?? 1000;
    this.gapWaitMs = Math.min(2000, Math.max(100, opts.gapWaitMs ?? 500));
    this.gapDelay = this.gapWaitMs;
    this.retryMs = opts.retryMs ?? 500;
  }

  get lastSeq(): number {
    return this.last;
  }

  /** Number of live events held back, waiting for an earlier seq. */
  get buffered(): number {
    return this.buffer.size;
  }

  setPageLimit(max: number): void {
    if (max >= 1 && max < this.pageLimit) this.pageLimit = max;
  }

  start(lastSeq: number): void {
    this.last = lastSeq;
    this.resync();
  }

  /** The connection is down: hold live events until the next catch-up [CLIENT-RESUME-9]. */
  hold(): void {
    if (this.stopped) return;
    this.gen++;
    this.abort?.abort();
    this.dropPrefetch();
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.catching = true;
  }

  /** On (re)connect and on a new host epoch: always ask history after lastSeq [CLIENT-RESUME-4]. */
  resync(): void {
    if (this.stopped) return;
    this.gen++;
    this.abort?.abort();
    this.dropPrefetch();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.catching = false;
    this.again = false;
    void this.catchUp();
  }

  /** Live events from an EventBatch (already checked to belong to this session). */
  onLive(events: EventEnvelope[]): void {
    if (this.stopped) return;
    for (const e of events) {
      this.stats.live++;
      if (e.seq <= this.last || this.buffer.has(e.seq)) {
        this.stats.duplicates++;
        continue;
      }
      this.buffer.set(e.seq, e);
    }
    if (this.catching) return;
    this.drain();
    this.checkGap();
  }

  /** A head seq learnt elsewhere (retained state): a hint that events may be missing. */
  onHeadHint(headSeq: number): void {
    if (this.stopped || !isSeq(headSeq) || headSeq <= this.hintHead) return;
    this.hintHead = headSeq;
    if (!this.catching) this.checkGap();
  }

  stop(): void {
    this.stopped = true;
    this.gen++;
    this.abort?.abort();
    this.dropPrefetch();
    clearTimeout(this.gapTimer);
    clearTimeout(this.retryTimer);
    this.buffer.clear();
  }

  private async catchUp(to?: number): Promise<void> {
    if (this.stopped) return;
    if (this.catching) {
      this.again = true;
      return;
    }
    this.catching = true;
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    const gen = this.gen;
    const startedAt = this.last;
    try {
      if (to !== undefined) this.stats.rangeRequests++;
      for (;;) {
        const before = this.last;
        let ask = this.prefetched;
        this.prefetched = undefined;
        if (ask?.after !== before) {
          ask?.ac.abort();
          const ac = new AbortController();
          ask = {
            after: before,
            ac,
            page: this.deps.history({ sid: this.sid, after: before, to, limit: this.pageLimit, compact: this.compact }, ac.signal),
          };
        }
        this.abort = ask.ac;
        const page = await ask.page;
        if (gen !== this.gen) return;
        this.stats.pages++;
        if (!page.reset && page.from !== this.last) {
          // Not an answer to this cursor (a late page of an abandoned request) [CLIENT-RESUME-8].
          this.stats.stalePages++;
          throw new TetherError('TIMEOUT', `history page from ${page.from} does not start at lastSeq ${this.last}`);
        }
        if (!page.reset && page.headSeq < this.last) {
          this.rewind(page.headSeq);
          if (this.stopped || gen !== this.gen) return;
          continue;
        }
        // Ask for the next page now, so that the host prepares it while this one is delivered.
        if (page.more && !page.reset && page.to > before && (to === undefined || page.to < to)) {
          const ac = new AbortController();
          const next = this.deps.history({ sid: this.sid, after: page.to, to, limit: this.pageLimit, compact: this.compact }, ac.signal);
          next.catch(() => {}); // an abandoned prefetch fails quietly; the loop asks again
          this.prefetched = { after: page.to, ac, page: next };
        }
        this.applyPage(page);
        if (this.stopped || gen !== this.gen) return;
        if (!page.more || (to !== undefined && this.last >= to)) break;
        // A page that moved nothing would loop forever; the host promised more, so ask again later.
        if (this.last <= before) throw new TetherError('TIMEOUT', `history page after ${before} made no progress`);
      }
    } catch (err) {
      this.dropPrefetch();
      if (gen !== this.gen || this.stopped) return;
      this.catching = false;
      const code = (err as TetherError).code;
      if (code === 'LIMIT_EXCEEDED') {
        const max = ((err as TetherError).details as { max?: unknown } | undefined)?.max;
        this.pageLimit = typeof max === 'number' && max >= 1 ? max : Math.max(1, Math.floor(this.pageLimit / 2));
        void this.catchUp(to);
        return;
      }
      if (FATAL.has(code)) {
        this.deps.failed(err as Error);
        return;
      }
      // Transient (timeout, lost reply): try again; a reconnect also restarts the catch-up.
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (gen === this.gen && this.deps.online()) void this.catchUp();
      }, this.retryMs);
      return;
    }
    this.dropPrefetch();
    if (gen !== this.gen) return;
    this.catching = false;
    this.gapDelay = this.last > startedAt ? this.gapWaitMs : Math.min(this.gapDelay * 2, 5000);
    this.drain();
    if (this.again) {
      this.again = false;
      void this.catchUp();
      return;
    }
    this.checkGap();
  }

  private dropPrefetch(): void {
    this.prefetched?.ac.abort();
    this.prefetched = undefined;
  }

  /** The host's log is shorter than what was delivered: start a new generation from seq 1 [CLIENT-GAP-3]. */
  private rewind(headSeq: number): void {
    this.stats.rewinds++;
    this.last = 0;
    this.buffer.clear();
    this.hintHead = 0;
    this.deps.deliver({ kind: 'rewind', headSeq });
    this.deps.advanced(0);
  }

  private applyPage(page: HistoryPage): void {
    if (page.reset && page.reset.atSeq > this.last) {
      this.stats.resets++;
      this.last = page.reset.atSeq;
      this.deps.deliver({ kind: 'reset', atSeq: page.reset.atSeq, state: page.reset.state });
      if (this.stopped) return;
    }
    for (const e of page.events) {
      if (e.seq <= this.last) continue;
      this.last = e.seq;
      this.deps.deliver({ kind: 'event', event: e });
      if (this.stopped) return;
    }
    // The page covers from+1..to, also the seqs compaction left without an event of their own.
    if (page.to > this.last) this.last = page.to;
    for (const seq of this.buffer.keys()) if (seq <= this.last) this.buffer.delete(seq);
    this.deps.advanced(this.last);
  }

  private drain(): void {
    let moved = false;
    for (;;) {
      const e = this.buffer.get(this.last + 1);
      if (!e) break;
      this.buffer.delete(e.seq);
      this.last = e.seq;
      moved = true;
      this.deps.deliver({ kind: 'event', event: e });
      if (this.stopped) return;
    }
    if (moved) this.deps.advanced(this.last);
  }

  private checkGap(): void {
    if (this.gapTimer || this.stopped) return;
    if (this.buffer.size === 0 && this.hintHead <= this.last) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.catching || this.stopped || !this.deps.online()) return;
      this.drain();
      let next = Infinity;
      for (const seq of this.buffer.keys()) if (seq < next) next = seq;
      if (next !== Infinity && next > this.last + 1) void this.catchUp(next - 1);
      else if (this.hintHead > this.last) void this.catchUp();
    }, this.gapDelay);
  }
}
