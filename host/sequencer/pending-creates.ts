/**
 * session.created events accepted but not committed yet, per creator: the store does not count
 * them yet, but a burst of creates must not pass maxSessionsPerPrincipal [HOST-LIMIT-5].
 */
import type { EventEnvelope } from '../../schemas/src/index.ts';

export class PendingCreates {
  private readonly counts = new Map<string, number>();

  of(creator: string): number {
    return this.counts.get(creator) ?? 0;
  }

  add(creator: string): void {
    this.counts.set(creator, this.of(creator) + 1);
  }

  /** The events are in the store now (or failed): their creates are no longer pending. */
  settle(events: Iterable<EventEnvelope>): void {
    for (const e of events) {
      if (e.type !== 'session.created') continue;
      const n = (this.counts.get(e.sender) ?? 1) - 1;
      if (n > 0) this.counts.set(e.sender, n);
      else this.counts.delete(e.sender);
    }
  }
}
