/**
 * Commands kept until they are answered [CLIENT-RETRY-1], resent with the same id, type and data
 * after every reconnect in the order first sent [CLIENT-RETRY-2], and after 10 s without an answer
 * [CLIENT-RETRY-3]. RATE_LIMITED is retried after `retryAfterMs` or 1 s [CLIENT-RETRY-4].
 *
 * Commands that must reach the host in order (one token stream) share an `orderKey`. An error on
 * a command whose predecessor of the same key is still unanswered says nothing final: the
 * predecessor may have been refused or lost, so the command waits and is resent behind it.
 */
import { TetherError } from './errors.ts';

export interface Ack {
  sid: string;
  seq: number;
  duplicate: boolean;
}

export interface CommandOptions {
  /** The command id; a retry of a command the application sent before must reuse it [ENV-ID-2]. */
  id?: string;
  /** Commands with the same key are delivered and retried in order (e.g. the chunks of a stream). */
  orderKey?: string;
}

interface Kept {
  id: string;
  sid: string;
  type: string;
  topic: string;
  payload: string;
  orderKey?: string;
  sentAt: number;
  attempts: number;
  /** Refused while a predecessor with the same orderKey was unanswered: resent behind it. */
  error?: TetherError;
  retryTimer?: ReturnType<typeof setTimeout>;
  resolve: (ack: Ack) => void;
  reject: (err: Error) => void;
}

/** Errors after which the same command may succeed when sent again. */
const TRANSIENT = new Set(['RATE_LIMITED', 'INTERNAL']);
const MAX_TRANSIENT_ATTEMPTS = 50;

export interface CommandLedgerOptions {
  /** Resend a command unanswered for this long (default 10000 ms) [CLIENT-RETRY-3]. */
  resendAfterMs?: number;
  now?: () => number;
}

export class CommandLedger {
  /** Insertion order is first-send order. */
  private readonly kept = new Map<string, Kept>();
  private readonly resendAfterMs: number;
  private readonly now: () => number;
  private ticker?: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    /** Hands a payload to the transport; returns false when not connected (the command stays kept). */
    private readonly send: (topic: string, payload: string) => void,
    private readonly replyTo: string,
    opts: CommandLedgerOptions = {},
  ) {
    this.resendAfterMs = opts.resendAfterMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.kept.size;
  }

  submit(sid: string, topic: string, type: string, data: unknown, id: string, orderKey?: string): Promise<Ack> {
    if (this.closed) return Promise.reject(new TetherError('CLOSED', 'client closed'));
    if (this.kept.has(id)) return Promise.reject(new TetherError('INVALID_ARGUMENT', `command ${id} is already pending`));
    const payload = JSON.stringify({ v: 1, id, type, replyTo: this.replyTo, data });
    return new Promise<Ack>((resolve, reject) => {
      const k: Kept = { id, sid, type, topic, payload, orderKey, sentAt: 0, attempts: 0, resolve, reject };
      this.kept.set(id, k);
      this.transmit(k);
      this.ensureTicker();
    });
  }

  /** Handles a reply; returns false when `re` names no kept command (a repeated reply) [ENV-RE-2]. */
  onReply(type: string, re: string, data: Record<string, unknown>): boolean {
    const k = this.kept.get(re);
    if (!k) return false;
    if (type === 'ack') {
      this.settle(k, { sid: String(data.sid ?? k.sid), seq: Number(data.seq), duplicate: Boolean(data.duplicate) });
      return true;
    }
    if (type !== 'error') return true;
    const err = TetherError.fromReply(data);
    if (TRANSIENT.has(err.code) && k.attempts < MAX_TRANSIENT_ATTEMPTS) {
      const details = (data.details ?? {}) as { retryAfterMs?: unknown };
      const wait = err.code === 'RATE_LIMITED' && typeof details.retryAfterMs === 'number' ? Math.max(details.retryAfterMs, 1) : 1000;
      this.scheduleResendFrom(k, wait);
      return true;
    }
    if (this.hasPendingPredecessor(k)) {
      k.error = err;
      return true;
    }
    this.fail(k, err);
    return true;
  }

  /** An event with our own cid confirms the command like an ack does [CLIENT-RETRY-1]. */
  confirm(cid: string, sid: string, seq: number): void {
    const k = this.kept.get(cid);
    if (k && k.sid === sid) this.settle(k, { sid, seq, duplicate: false });
  }

  /** After a reconnect or a new host epoch: everything kept, in first-send order [CLIENT-RETRY-2]. */
  resendAll(): void {
    for (const k of this.kept.values()) {
      clearTimeout(k.retryTimer);
      k.retryTimer = undefined;
      k.error = undefined;
      this.transmit(k);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    const err = new TetherError('CLOSED', 'client closed');
    for (const k of [...this.kept.values()]) this.fail(k, err);
  }

  private transmit(k: Kept): void {
    k.sentAt = this.now();
    k.attempts++;
    this.send(k.topic, k.payload);
  }

  private settle(k: Kept, ack: Ack): void {
    clearTimeout(k.retryTimer);
    this.kept.delete(k.id);
    k.resolve(ack);
    if (k.orderKey !== undefined) this.releaseSuccessors(k.orderKey);
    if (this.kept.size === 0) this.stopTicker();
  }

  private fail(k: Kept, err: Error): void {
    clearTimeout(k.retryTimer);
    this.kept.delete(k.id);
    k.reject(err);
    if (k.orderKey !== undefined) {
      // Everything queued behind a refused command of the same order fails with it.
      for (const later of [...this.kept.values()]) {
        if (later.orderKey === k.orderKey && later.error) {
          this.kept.delete(later.id);
          clearTimeout(later.retryTimer);
          later.reject(later.error);
        }
      }
      this.releaseSuccessors(k.orderKey);
    }
    if (this.kept.size === 0) this.stopTicker();
  }

  private hasPendingPredecessor(k: Kept): boolean {
    if (k.orderKey === undefined) return false;
    for (const other of this.kept.values()) {
      if (other === k) return false;
      if (other.orderKey === k.orderKey && !other.error) return true;
    }
    return false;
  }

  /** When the head of an order is answered, the commands waiting behind it go out again, in order. */
  private releaseSuccessors(orderKey: string): void {
    const first = [...this.kept.values()].find((x) => x.orderKey === orderKey);
    if (first?.error) this.resendFrom(first);
  }

  private scheduleResendFrom(k: Kept, waitMs: number): void {
    clearTimeout(k.retryTimer);
    k.retryTimer = setTimeout(() => {
      k.retryTimer = undefined;
      if (this.kept.get(k.id) === k) this.resendFrom(k);
    }, waitMs);
  }

  /** Resends k and, when it is ordered, every later kept command of its order, in order. */
  private resendFrom(k: Kept): void {
    let on = false;
    for (const x of this.kept.values()) {
      if (x === k) on = true;
      if (!on || (x !== k && (k.orderKey === undefined || x.orderKey !== k.orderKey))) continue;
      clearTimeout(x.retryTimer);
      x.retryTimer = undefined;
      x.error = undefined;
      this.transmit(x);
    }
  }

  private ensureTicker(): void {
    if (this.ticker || this.closed) return;
    this.ticker = setInterval(() => this.tick(), Math.min(1000, this.resendAfterMs));
    (this.ticker as { unref?: () => void }).unref?.();
  }

  private stopTicker(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Resends, in order, commands unanswered for resendAfterMs [CLIENT-RETRY-3]. */
  private tick(): void {
    const now = this.now();
    for (const k of this.kept.values()) {
      if (k.retryTimer || k.error) continue;
      if (now - k.sentAt >= this.resendAfterMs) this.transmit(k);
    }
  }
}
