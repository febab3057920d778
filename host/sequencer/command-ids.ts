/**
 * Idempotency: a command id seen before in a session returns the original result, never a second
 * event [HOST-IDEM-1]. Known are the accepted but uncommitted ids, and each session's Bloom filter
 * answers "certainly new" without the store; "maybe" still asks it, so the answer stays exact.
 */
import type { EventEnvelope } from '../../schemas/src/index.ts';
import type { Store } from '../store/store.ts';
import { IdFilter } from './id-filter.ts';
import type { LiveSession } from './live-sessions.ts';

export interface SeenCommand {
  seq: number;
  type: string;
}

const keyOf = (sid: string, sender: string, cid: string | undefined) => `${sid}\u0000${sender}\u0000${cid}`;

export class CommandIds {
  /** Accepted but not committed yet: not in the store, but seen. */
  private readonly pending = new Map<string, SeenCommand>();

  constructor(private readonly store: Store) {}

  pendingOf(sid: string, sender: string, cid: string): SeenCommand | undefined {
    return this.pending.get(keyOf(sid, sender, cid));
  }

  /** The original result of a command id this session saw before; the store is asked only when the filter cannot rule it out. */
  async seenBefore(session: LiveSession | undefined, sid: string, sender: string, cid: string): Promise<SeenCommand | undefined> {
    if (!session) return this.store.findCommand(sid, sender, cid);
    if (!session.ids) {
      const keys = await this.store.commandKeys(sid);
      const ids = new IdFilter(Math.max(100, keys.length * 2));
      for (const k of keys) ids.add(k);
      const prefix = `${sid}\u0000`;
      for (const k of this.pending.keys()) if (k.startsWith(prefix)) ids.add(k.slice(prefix.length));
      session.ids = ids;
    }
    if (!session.ids.mayHave(`${sender}\u0000${cid}`)) return undefined;
    return this.store.findCommand(sid, sender, cid);
  }

  accepted(session: LiveSession, sid: string, sender: string, cid: string, seen: SeenCommand): void {
    this.pending.set(keyOf(sid, sender, cid), seen);
    session.ids?.add(`${sender}\u0000${cid}`);
  }

  /** The events are committed (or failed): their ids are no longer pending. */
  settle(events: Iterable<EventEnvelope>): void {
    for (const e of events) this.pending.delete(keyOf(e.sid, e.sender, e.cid));
  }
}
