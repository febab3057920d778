/**
 * Agent-side token output. Writes are coalesced into chunks over a short window; at most
 * `maxUnacked` chunks are unacknowledged at a time, and write() waits while that window is full
 * (backpressure). Chunks are commands with their own ids on one orderKey, so after a reconnect
 * the unacknowledged ones are resent with the same ids, in order: the host appends each chunk
 * once and in order (a resent chunk it already has is a duplicate), so no token is lost or repeated.
 */
import type { Part } from '../../schemas/src/index.ts';
import type { Ack } from './command-ledger.ts';
import { TetherError } from './errors.ts';

export interface StreamWriterOptions {
  /** Coalescing window in ms (default 30). 0: every write() becomes one chunk. */
  windowMs?: number;
  /** Most chunks unacknowledged at a time (default 64). */
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

type Submit = (type: string, data: Record<string, unknown>, orderKey: string) => Promise<Ack>;

export class StreamWriter {
  readonly orderKey: string;
  private buf = '';
  private nextIndex = 0;
  private unackedCount = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private finished = false;
  private failure?: Error;
  private readonly room: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];
  private readonly windowMs: number;
  private readonly maxUnacked: number;
  private readonly maxChunk: number;
  /** Resolves with the ack of message.start. */
  readonly started: Promise<Ack>;

  constructor(
    readonly sid: string,
    readonly msgId: string,
    private readonly submit: Submit,
    start: { role: string; runId?: string },
    opts: StreamWriterOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 30;
    this.maxUnacked = Math.max(1, opts.maxUnacked ?? 64);
    this.maxChunk = Math.max(1, opts.maxChunkChars ?? 8000);
    this.orderKey = `${sid}/stream/${msgId}`;
    const data: Record<string, unknown> = { msgId, role: start.role };
    if (start.runId !== undefined) data.runId = start.runId;
    this.started = this.track(this.submit('message.start', data, this.orderKey));
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

  /** Sends what is buffered now instead of at the end of the window. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.buf.length > 0) {
      let cut = Math.min(this.buf.length, this.maxChunk);
      // Never split a surrogate pair across chunks.
      if (cut < this.buf.length && /[\uD800-\uDBFF]/.test(this.buf[cut - 1])) cut--;
      const text = this.buf.slice(0, cut);
      this.buf = this.buf.slice(cut);
      const i = this.nextIndex++;
      void this.track(this.submit('message.delta', { msgId: this.msgId, i, text }, this.orderKey)).catch(() => {});
    }
  }

  /** Flushes, waits until every chunk is acknowledged, then completes the message. */
  async complete(opts: CompleteOptions = {}): Promise<Ack> {
    if (this.finished) throw new TetherError('INVALID_ARGUMENT', `stream ${this.msgId} is already complete`);
    this.flush();
    this.finished = true;
    // Completing before every chunk is in the log would close the message without them.
    await this.drained();
    if (this.failure) throw this.failure;
    const data: Record<string, unknown> = { msgId: this.msgId, status: opts.status ?? 'ok' };
    if (opts.parts) data.parts = opts.parts;
    if (opts.error !== undefined) data.error = opts.error.slice(0, 1000);
    return this.submit('message.complete', data, this.orderKey);
  }

  /** Completes the message as failed (or cancelled), with what was streamed so far. */
  fail(error: string | Error, status: 'failed' | 'cancelled' = 'failed'): Promise<Ack> {
    return this.complete({ status, error: typeof error === 'string' ? error : error.message });
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
    if (this.unackedCount < this.maxUnacked || this.failure) for (const r of this.room.splice(0)) r();
    if (this.unackedCount === 0) for (const r of this.idle.splice(0)) r();
  }

  private drained(): Promise<void> {
    if (this.unackedCount === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }
}
