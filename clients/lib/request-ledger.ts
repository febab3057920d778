/**
 * Requests (history, sessions.list, inbox verbs) with correlation ids: the reply carries
 * `re` = the request id [ENV-RE-2]. A request unanswered at a reconnect is sent again with the same
 * id; the first reply wins and later ones are ignored. Each request has an overall timeout.
 */
import { TetherError } from './errors.ts';
import { REPLY_TYPES } from '../../protocol/constants.ts';

export interface Reply<T = Record<string, unknown>> {
  type: string;
  re: string;
  data: T;
}

export interface RequestOptions {
  /** Overall time to wait for the reply (default 15000 ms); then TetherError TIMEOUT. */
  timeoutMs?: number;
  /** Cancels the request (rejected with CLOSED) when aborted. */
  signal?: AbortSignal;
}

interface Open {
  id: string;
  payload: string;
  /** The connection it was last sent on. */
  sentOn: number;
  timer: ReturnType<typeof setTimeout>;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  detach?: () => void;
}

export class RequestLedger {
  private readonly open = new Map<string, Open>();
  private closed = false;
  private connection = 0;

  constructor(
    private readonly send: (topic: string, payload: string) => void,
    private readonly topic: string,
    private readonly replyTo: string,
    private readonly defaultTimeoutMs = 15_000,
  ) {}

  get size(): number {
    return this.open.size;
  }

  request(id: string, type: string, data: unknown, opts: RequestOptions = {}): Promise<Reply> {
    if (this.closed) return Promise.reject(new TetherError('CLOSED', 'client closed'));
    if (opts.signal?.aborted) return Promise.reject(new TetherError('CLOSED', 'request aborted'));
    const payload = JSON.stringify({ v: 1, id, type, replyTo: this.replyTo, data });
    return new Promise<Reply>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
      const o: Open = {
        id,
        payload,
        sentOn: this.connection,
        resolve,
        reject,
        timer: setTimeout(() => this.finish(id, new TetherError('TIMEOUT', `no reply to ${type} ${id} within ${timeoutMs} ms`)), timeoutMs),
      };
      if (opts.signal) {
        const onAbort = () => this.finish(id, new TetherError('CLOSED', 'request aborted'));
        opts.signal.addEventListener('abort', onAbort, { once: true });
        o.detach = () => opts.signal!.removeEventListener('abort', onAbort);
      }
      this.open.set(id, o);
      this.send(this.topic, payload);
    });
  }

  /** Returns false when `re` names no open request (a repeated or late reply). */
  onReply(reply: Reply): boolean {
    if (!this.open.has(reply.re)) return false;
    if (reply.type === 'error') this.finish(reply.re, TetherError.fromReply(reply.data));
    // A reply type this version does not know is a final refusal [VER-COMPAT-5].
    else if (!(REPLY_TYPES as readonly string[]).includes(reply.type)) {
      this.finish(reply.re, new TetherError('BAD_PAYLOAD', `unexpected reply type ${reply.type}`, 'VER-COMPAT-5', reply.data));
    } else this.finish(reply.re, undefined, reply);
    return true;
  }

  /** A new connection is online: requests sent before it are due again. */
  newConnection(): void {
    this.connection++;
  }

  /** Resends open requests not yet sent on this connection (all of them with force). */
  resendAll(force = false): void {
    for (const o of this.open.values()) {
      if (!force && o.sentOn === this.connection) continue;
      o.sentOn = this.connection;
      this.send(this.topic, o.payload);
    }
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.open.keys()]) this.finish(id, new TetherError('CLOSED', 'client closed'));
  }

  private finish(id: string, err?: Error, reply?: Reply): void {
    const o = this.open.get(id);
    if (!o) return;
    this.open.delete(id);
    clearTimeout(o.timer);
    o.detach?.();
    if (err) o.reject(err);
    else o.resolve(reply!);
  }
}
