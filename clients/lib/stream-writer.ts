/**
 * Agent-side token output [AGENT-WRITER-1..4]. Writes are coalesced into chunks over a short
 * window; at most `maxUnacked` commands of the stream are unacknowledged at a time. Text written
 * while the window is full waits and goes out joined into one chunk when a slot frees, and
 * write() resolves only when there is room (backpressure for callers that await it).
 *
 * Each chunk is a command with its own id (`{msgId}:{i}`) on the stream's orderKey, so after a
 * reconnect the unacknowledged ones are resent with the same ids, in order: the host appends each
 * chunk once and in order, and no token is lost or repeated. A STREAM_OUT_OF_ORDER refusal with
 * `expected` = k resends the chunks from k on, once per distinct k.
 */
import type { Part } from '../../schemas/src/index.ts';
import type { Ack, CommandOptions } from './command-ledger.ts';
import { TetherError } from './errors.ts';

export interface StreamWriterOptions {
  /** Coalescing window in ms (default 30). 0: every write() becomes one chunk while there is room. */
  windowMs?: number;
  /** Most commands of the stream unacknowledged at a time (default 64). */
  maxUnacked?: number;
  /** Largest chunk in UTF-16 code units (default 8000, well inside maxPayloadBytes after JSON). */
  maxChunkChars?: number;
}

export interface CompleteOptions {
  /** Final content; by default the host composes one text part from the chunks. */
  parts?: Part[];
  status?: 'ok' | 'failed' | 'cancelled';
  error?: string;
}

export interface StreamLink {
  submit(type: string, data: Record<string, unknown>, opts: CommandOptions): Promise<Ack>;
  /** Resends a kept command and the later ones of its order (false when no longer kept). */
  resendFrom(id: string): boolean;
  /** The stream is complete (or failed for good). */
  finished?: () => void;
}

export class StreamWriter {
  readonly orderKey: string;
  /** Resolves with the ack of message.start. */
  readonly started: Promise<Ack>;
  private buf = '';
  private nextIndex = 0;
  private unackedCount = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private finished = false;
  private failure?: Error;
  private readonly repairing = new Set<number>();
  private readonly room: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];
  private readonly windowMs: number;
  private readonly maxUnacked: number;
  private readonly maxChunk: number;

  constructor(
    readonly sid: string,
    readonly msgId: string,
    private readonly link: StreamLink,
    start: { role: string; runId?: string },
    opts: StreamWriterOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 30;
    this.maxUnacked = Math.max(1, opts.maxUnacked ?? 64);
    this.maxChunk = Math.max(1, opts.maxChunkChars ?? 8000);
    this.orderKey = `${sid}/stream/${msgId}`;
    const data: Record<string, unknown> = { msgId, role: start.role };
    if (start.runId !== undefined) data.runId = start.runId;
    this.started = this.track(this.link.submit('message.start', data, { id: `${msgId}:start`, orderKey: this.orderKey }));
    this.started.catch(() => {});
  }

  /** Chunks sent so far. */
  get chunks(): number {
    return this.nextIndex;
  }

  get unacked(): number {
    return this.unackedCount;
  }

  /** Appends text; resolves when the window has room for more (backpressure). */
  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.finished) throw new TetherError('INVALID_ARGUMENT', `stream ${this.msgId} is already complete`);
    if (text.length === 0) return;
    this.buf += text;
    if (this.windowMs <= 0 || this.buf.length >= this.maxChunk) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    while (this.unackedCount >= this.maxUnacked && !this.failure) await new Promise<void>((r) => this.room.push(r));
    if (this.failure) throw this.failure;
  }

  /** Sends what is buffered now instead of at the end of the window (as far as the window allows). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.buf.length > 0 && this.unackedCount < this.maxUnacked && !this.failure) {
      let cut = Math.min(this.buf.length, this.maxChunk);
      // Never split a surrogate pair across chunks.
      if (cut < this.buf.length && /[\uD800-\uDBFF]/.test(this.buf[cut - 1])) cut--;
      const text = this.buf.slice(0, cut);
      this.buf = this.buf.slice(cut);
      const i = this.nextIndex++;
      const chunk = this.link.submit(
        'message.delta',
        { msgId: this.msgId, i, text },
        { id: this.chunkId(i), orderKey: this.orderKey, onRefused: (err) => this.onRefused(err) },
      );
      void this.track(chunk).then(
        () => this.repairing.delete(i),
        () => {},
      );
    }
  }

  /** Flushes, waits until every chunk is acknowledged, then completes the message. */
  async complete(opts: CompleteOptions = {}): Promise<Ack> {
    if (this.finished) throw new TetherError('INVALID_ARGUMENT', `stream ${this.msgId} is already complete`);
    this.finished = true;
    // Completing before every chunk is in the log would close the message without them.
    for (;;) {
      this.flush();
      if (this.failure) throw this.failure;
      if (this.buf.length === 0 && this.unackedCount === 0) break;
      await new Promise<void>((r) => this.idle.push(r));
    }
    const data: Record<string, unknown> = { msgId: this.msgId, status: opts.status ?? 'ok' };
    if (opts.parts) data.parts = opts.parts;
    if (opts.error !== undefined) data.error = opts.error.slice(0, 1000);
    const ack = await this.link.submit('message.complete', data, { id: `${this.msgId}:end`, orderKey: this.orderKey });
    this.link.finished?.();
    return ack;
  }

  /** Completes the message as failed (or cancelled), with what was streamed so far. */
  fail(error: string | Error, status: 'failed' | 'cancelled' = 'failed'): Promise<Ack> {
    return this.complete({ status, error: typeof error === 'string' ? error : error.message });
  }

  private chunkId(i: number): string {
    return `${this.msgId}:${i}`;
  }

  /** The host expects chunk k: resend from k on, once per distinct k [AGENT-WRITER-3]. */
  private onRefused(err: TetherError): void {
    if (err.code !== 'STREAM_OUT_OF_ORDER') return;
    const k = (err.details as { expected?: unknown } | undefined)?.expected;
    if (typeof k !== 'number' || k < 0 || k >= this.nextIndex || this.repairing.has(k)) return;
    this.repairing.add(k);
    this.link.resendFrom(this.chunkId(k));
  }

  private track(p: Promise<Ack>): Promise<Ack> {
    this.unackedCount++;
    return p.then(
      (ack) => {
        this.release();
        return ack;
      },
      (err: Error) => {
        this.failure ??= err;
        this.release();
        throw err;
      },
    );
  }

  private release(): void {
    this.unackedCount--;
    // Text that waited for a slot goes out now, joined into one chunk [AGENT-WRITER-4].
    if (this.buf.length > 0 && (this.windowMs <= 0 || !this.timer)) this.flush();
    if (this.unackedCount < this.maxUnacked || this.failure) for (const r of this.room.splice(0)) r();
    if ((this.unackedCount === 0 && this.buf.length === 0) || this.failure) for (const r of this.idle.splice(0)) r();
  }
}
