/**
 * Commands kept until they are answered [CLIENT-RETRY-1], resent with the same id, type and data
 * after every reconnect in the order first sent [CLIENT-RETRY-2], and after 10 s without an answer
 * [CLIENT-RETRY-3]. RATE_LIMITED is retried after `retryAfterMs` or 1 s [CLIENT-RETRY-4].
 *
 * Commands that must reach the host in order (the chunks of one token stream) share an
 * `orderKey`. A refusal of a command while an earlier one of its order is unanswered says nothing
 * final (the earlier one may have been refused or lost), so the command waits; waiting commands
 * of an order go out again one at a time, each once everything before it is answered.
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
  /** Told of a refusal that is not final (the command waits behind an unanswered predecessor). */
  onRefused?: (err: TetherError) => void;
}

interface Kept {
  id: string;
  sid: string;
  type: string;
  topic: string;
  payload: string;
  order: string;
  onRefused?: (err: TetherError) => void;
  sentAt: number;
  attempts: number;
  transientRefusals: number;
  /** Set while the command waits to be resent (after a refusal that was not final). */
  waiting?: { error: TetherError; notBefore: number };
  timer?: ReturnType<typeof setTimeout>;
  resolve: (ack: Ack) => void;
  reject: (err: Error) => void;
}

/** Errors after which the same command may succeed when sent again. */
const TRANSIENT = new Set(['RATE_LIMITED', 'INTERNAL']);
const encoder = new TextEncoder();
const utf8Length = (text: string) => encoder.encode(text).length;
/** Longest wait between resends of a refused command. */
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * The wait before resending a command refused `refusals` times in a row: at least the host's
 * retryAfterMs [CLIENT-RETRY-4], growing with each refusal and spread by random jitter, so that
 * many commands refused together do not all come back in the same millisecond and collide again.
 */
export function retryDelay(base: number, refusals: number, random: () => number = Math.random): number {
  const spread = base * Math.min(2 ** Math.max(0, refusals - 1), 64);
  return Math.min(MAX_RETRY_DELAY_MS, Math.round(base + random() * spread));
}

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
  /** Counters for observability and tests. */
  readonly stats = { submitted: 0, resent: 0, acked: 0, duplicates: 0, confirmedByEvent: 0, rateLimited: 0, failed: 0 };

  constructor(
    /** Hands a payload to the transport (dropped when offline: everything kept is resent on reconnect). */
    private readonly send: (topic: string, payload: string) => void,
    private readonly replyTo: string,
    opts: CommandLedgerOptions = {},
  ) {
    this.resendAfterMs = opts.resendAfterMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** The host's advertised limit (65536 until its birth says otherwise). */
  maxPayloadBytes = 65536;

  get size(): number {
    return this.kept.size;
  }

  submit(sid: string, topic: string, type: string, data: unknown, id: string, opts: Omit<CommandOptions, 'id'> = {}): Promise<Ack> {
    if (this.closed) return Promise.reject(new TetherError('CLOSED', 'client closed'));
    if (this.kept.has(id)) return Promise.reject(new TetherError('INVALID_ARGUMENT', `command ${id} is already pending`));
    const payload = JSON.stringify({ v: 1, id, type, replyTo: this.replyTo, data });
    // Never publish what the host would refuse for its size [CLIENT-LIMIT-1].
    if (utf8Length(payload) > this.maxPayloadBytes) {
      return Promise.reject(
        new TetherError(
          'PAYLOAD_TOO_LARGE',
          `command of ${utf8Length(payload)} bytes exceeds the host's maxPayloadBytes ${this.maxPayloadBytes}`,
          'CLIENT-LIMIT-1',
          undefined,
          sid,
        ),
      );
    }
    this.stats.submitted++;
    return new Promise<Ack>((resolve, reject) => {
      const order = opts.orderKey ?? `\u0000${id}`;
      const k: Kept = {
        id,
        sid,
        type,
        topic,
        payload,
        order,
        onRefused: opts.onRefused,
        sentAt: 0,
        attempts: 0,
        transientRefusals: 0,
        resolve,
        reject,
      };
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
      this.stats.acked++;
      if (data.duplicate === true) this.stats.duplicates++;
      this.settle(k, { sid: String(data.sid ?? k.sid), seq: Number(data.seq), duplicate: Boolean(data.duplicate) });
      return true;
    }
    // A reply type this version does not know ends the command as refused [VER-COMPAT-5].
    if (type !== 'error') {
      this.fail(k, new TetherError('BAD_PAYLOAD', `unexpected reply type ${type} to command ${re}`, 'VER-COMPAT-5', data, k.sid));
      this.pump(k.order);
      return true;
    }
    const err = TetherError.fromReply(data);
    if (err.code === 'RATE_LIMITED') this.stats.rateLimited++;
    if (this.unansweredBefore(k)) {
      // Possibly refused only because an earlier command of its order was refused or lost.
      this.wait(k, err, 0);
      k.onRefused?.(err);
    } else if (TRANSIENT.has(err.code)) {
      // Kept, never given up on [CLIENT-RETRY-1]: the host said "later", not "no".
      const details = (data.details ?? {}) as { retryAfterMs?: unknown };
      const base = err.code === 'RATE_LIMITED' && typeof details.retryAfterMs === 'number' ? Math.max(1, details.retryAfterMs) : 1000;
      this.wait(k, err, retryDelay(base, ++k.transientRefusals));
    } else {
      this.fail(k, err);
    }
    this.pump(k.order);
    return true;
  }

  /** An event with our own cid confirms the command like an ack does [CLIENT-RETRY-1]. */
  confirm(cid: string, sid: string, seq: number): void {
    const k = this.kept.get(cid);
    if (k && k.sid === sid) {
      this.stats.confirmedByEvent++;
      this.settle(k, { sid, seq, duplicate: false });
    }
  }

  /** After a reconnect or a new host epoch: everything kept, in first-send order [CLIENT-RETRY-2]. */
  resendAll(): void {
    for (const k of this.kept.values()) {
      clearTimeout(k.timer);
      k.timer = undefined;
      k.waiting = undefined;
      this.transmit(k);
    }
  }

  /**
   * Resends a kept command and every later kept command of its order, in order (the repair of a
   * stream after STREAM_OUT_OF_ORDER [AGENT-WRITER-3]). Returns false when the command is not
   * kept (already answered), or is held back by a rate limit (then it follows its own retry).
   */
  resendFrom(id: string): boolean {
    const head = this.kept.get(id);
    if (!head || (head.waiting && head.waiting.notBefore > this.now())) return false;
    let on = false;
    for (const x of this.kept.values()) {
      if (x === head) on = true;
      if (!on || x.order !== head.order) continue;
      clearTimeout(x.timer);
      x.timer = undefined;
      x.waiting = undefined;
      this.transmit(x);
    }
    return true;
  }

  close(): void {
    this.closed = true;
    this.stopTicker();
    const err = new TetherError('CLOSED', 'client closed');
    for (const k of [...this.kept.values()]) {
      clearTimeout(k.timer);
      this.kept.delete(k.id);
      k.reject(err);
    }
  }

  private transmit(k: Kept): void {
    k.sentAt = this.now();
    if (k.attempts++ > 0) this.stats.resent++;
    this.send(k.topic, k.payload);
  }

  private wait(k: Kept, error: TetherError, delayMs: number): void {
    k.waiting = { error, notBefore: this.now() + delayMs };
    clearTimeout(k.timer);
    k.timer = undefined;
    if (delayMs > 0) {
      k.timer = setTimeout(() => {
        k.timer = undefined;
        this.pump(k.order);
      }, delayMs);
    }
  }

  private settle(k: Kept, ack: Ack): void {
    clearTimeout(k.timer);
    this.kept.delete(k.id);
    k.resolve(ack);
    this.pump(k.order);
    if (this.kept.size === 0) this.stopTicker();
  }

  /** A final refusal; waiting commands behind it in its order fail with their own refusals. */
  private fail(k: Kept, err: Error): void {
    this.stats.failed++;
    clearTimeout(k.timer);
    this.kept.delete(k.id);
    k.reject(err);
    for (const later of this.inOrder(k.order)) {
      if (!later.waiting) continue;
      this.stats.failed++;
      clearTimeout(later.timer);
      this.kept.delete(later.id);
      later.reject(later.waiting.error);
    }
    if (this.kept.size === 0) this.stopTicker();
  }

  private inOrder(order: string): Kept[] {
    return [...this.kept.values()].filter((x) => x.order === order);
  }

  /** Is an earlier command of k's order still without any answer (or waiting itself)? */
  private unansweredBefore(k: Kept): boolean {
    for (const x of this.kept.values()) {
      if (x === k) return false;
      if (x.order === k.order) return true;
    }
    return false;
  }

  /**
   * Resends the first waiting command of an order once it is due and nothing before it is
   * unanswered; the ones behind it follow, one per answer, so they reach the host in order.
   */
  private pump(order: string): void {
    for (const x of this.inOrder(order)) {
      if (!x.waiting) return; // an earlier command is in flight: its answer pumps again
      if (x.waiting.notBefore > this.now()) {
        if (!x.timer) x.timer = setTimeout(() => ((x.timer = undefined), this.pump(order)), x.waiting.notBefore - this.now());
        return;
      }
      x.waiting = undefined;
      this.transmit(x);
      return;
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
    for (const k of this.kept.values()) if (!k.waiting && now - k.sentAt >= this.resendAfterMs) this.transmit(k);
  }
}
