/**
 * The sessions the host has in memory: each one's row as of its last accepted event and how far it
 * is committed, plus the accepted events not committed yet, which every decision must see.
 */
import type { EventEnvelope } from '../../schemas/src/index.ts';
import { eventKey, type SessionRow, type Store } from '../store/store.ts';
import type { IdFilter } from './id-filter.ts';
import type { LogReader } from './rules/rule.ts';

export interface LiveSession {
  row: SessionRow;
  committed: number;
  /** The command ids of the session (a Bloom filter), loaded at its first command in this process. */
  ids?: IdFilter;
}

export class LiveSessions {
  private readonly sessions = new Map<string, LiveSession>();
  /** Accepted events not yet committed, per session, so decisions see them [HOST-SEQ-1]. */
  private readonly uncommitted = new Map<string, EventEnvelope[]>();

  /** The log as decisions see it: the store plus the accepted events not committed yet. */
  readonly log: LogReader = {
    readEvents: async (sid, after, to, limit) => {
      const pending = (this.uncommitted.get(sid) ?? []).filter((e) => e.seq > after && e.seq <= to);
      const stored = pending.length && pending[0].seq === after + 1 ? [] : await this.store.readEvents(sid, after, to, limit);
      const lastStored = stored.length ? stored[stored.length - 1].seq : after;
      return [...stored, ...pending.filter((e) => e.seq > lastStored)].slice(0, limit);
    },
    findEvent: async (sid, types, key, which) => {
      const pending = (this.uncommitted.get(sid) ?? []).filter((e) => types.includes(e.type) && (eventKey(e.data) ?? undefined) === key);
      if (which === 'latest' && pending.length) return pending[pending.length - 1];
      const stored = await this.store.findEvent(sid, types, key, which);
      return stored ?? pending[0];
    },
  };

  constructor(private readonly store: Store) {}

  /** The session, loaded from the store at its first use in this process. */
  async get(sid: string): Promise<LiveSession | undefined> {
    let s = this.sessions.get(sid);
    if (!s) {
      const row = await this.store.getSession(sid);
      if (!row) return undefined;
      s = this.sessions.get(sid) ?? { row, committed: row.state.headSeq };
      this.sessions.set(sid, s);
    }
    return s;
  }

  /** The session if it is in memory, without asking the store. */
  cached(sid: string): LiveSession | undefined {
    return this.sessions.get(sid);
  }

  /** An event was accepted into the session (its row already includes it). */
  accepted(session: LiveSession, event: EventEnvelope): void {
    this.sessions.set(event.sid, session);
    let pending = this.uncommitted.get(event.sid);
    if (!pending) this.uncommitted.set(event.sid, (pending = []));
    pending.push(event);
  }

  /** The sessions' events up to these seqs are in the store now. */
  committed(heads: Map<string, number>): void {
    for (const [sid, seq] of heads) {
      const session = this.sessions.get(sid);
      if (session) session.committed = Math.max(session.committed, seq);
      const pending = this.uncommitted.get(sid);
      if (pending) {
        const rest = pending.filter((e) => e.seq > seq);
        if (rest.length) this.uncommitted.set(sid, rest);
        else this.uncommitted.delete(sid);
      }
    }
  }

  /** Drops the sessions whose accepted events failed to commit: they are read from the store again. */
  forget(sids: Iterable<string>): void {
    for (const sid of sids) {
      this.sessions.delete(sid);
      this.uncommitted.delete(sid);
    }
  }
}
