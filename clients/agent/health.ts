/**
 * Pre-flight of the model endpoint. Before a run the agent makes sure the endpoint answers; while
 * it does not, the agent says `degraded` with the reason and every run waits, probing with
 * exponential backoff, instead of failing one by one or spinning. One probe loop serves every
 * waiting run.
 */
import type { ChatModel } from './model/chat-model.ts';

export interface HealthOptions {
  /** A probe younger than this counts (default 15 000 ms). */
  freshMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  onChange?: (healthy: boolean, reason?: string) => void;
}

export class EndpointHealth {
  private healthy = false;
  private checkedAt = 0;
  private probing?: Promise<void>;
  private reason?: string;
  private closed = new AbortController();

  constructor(
    private readonly model: ChatModel,
    private readonly opts: HealthOptions = {},
  ) {}

  get isHealthy(): boolean {
    return this.healthy;
  }

  get degradedReason(): string | undefined {
    return this.healthy ? undefined : this.reason;
  }

  /** Resolves once the endpoint answers (at once when a recent probe said so); rejects when `signal` aborts. */
  async ready(signal?: AbortSignal): Promise<void> {
    if (this.healthy && Date.now() - this.checkedAt < (this.opts.freshMs ?? 15_000)) return;
    this.probing ??= this.loop().finally(() => (this.probing = undefined));
    if (!signal) return this.probing;
    await Promise.race([
      this.probing,
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    ]);
  }

  /** A model call failed for a reason that is not the request's own (network, 5xx). */
  markFailed(err: unknown): void {
    this.set(false, describe(err));
    this.checkedAt = 0;
  }

  close(): void {
    this.closed.abort();
  }

  private async loop(): Promise<void> {
    let delay = this.opts.minBackoffMs ?? 500;
    for (;;) {
      if (this.closed.signal.aborted) throw new Error('the agent is stopping');
      try {
        await this.model.probe(AbortSignal.any([this.closed.signal, AbortSignal.timeout(5000)]));
        this.checkedAt = Date.now();
        this.set(true);
        return;
      } catch (err) {
        this.set(false, describe(err));
      }
      await new Promise((r) => setTimeout(r, delay * (0.8 + Math.random() * 0.4)).unref?.());
      delay = Math.min(delay * 2, this.opts.maxBackoffMs ?? 30_000);
    }
  }

  private set(healthy: boolean, reason?: string): void {
    const changed = healthy !== this.healthy || reason !== this.reason;
    this.healthy = healthy;
    this.reason = reason;
    if (changed) this.opts.onChange?.(healthy, reason);
  }
}

function describe(err: unknown): string {
  const e = err as { status?: number; message?: string; cause?: { code?: string } };
  const text = e.status
    ? `the model endpoint answered ${e.status}`
    : e.cause?.code
      ? `the model endpoint is unreachable (${e.cause.code})`
      : String(e.message ?? err);
  return text.slice(0, 200);
}

/** At most `max` model calls at a time across all sessions; the others queue in arrival order. */
export class CallLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A freed slot passes straight to the next waiter, so a newcomer cannot overtake it.
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
