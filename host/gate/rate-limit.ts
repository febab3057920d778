/** Token bucket per principal: `rate` commands per second with bursts up to 2 x rate [HOST-LIMIT-3]. */
export class CommandRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rate: number) {}

  take(principal: string, now = Date.now()): boolean {
    const burst = this.rate * 2;
    let b = this.buckets.get(principal);
    if (!b) {
      if (this.buckets.size > 100_000) this.buckets.clear();
      b = { tokens: burst, at: now };
      this.buckets.set(principal, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Milliseconds until the principal's bucket holds a whole token again. */
  retryAfterMs(principal: string): number {
    const b = this.buckets.get(principal);
    return b ? Math.max(1, Math.ceil(((1 - b.tokens) / this.rate) * 1000)) : 0;
  }
}
