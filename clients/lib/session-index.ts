/**
 * The live list of sessions the user takes part in, from the retained index topics
 * tether/v1/users/{me}/sessions/+ (including sessions an agent started while the user was away).
 * An empty retained payload means the user was removed [TOPIC-EMPTY-1]. A removal that happened
 * while offline leaves no retained message to deliver, so after every reconnect the index is
 * reconciled with a sessions.list request.
 */
import type { SessionIndexEntry } from '../../schemas/src/index.ts';
import { Emitter } from './emitter.ts';

export interface SessionIndexEvents {
  /** A session appeared (joined, created, or added by someone else). */
  added: (entry: SessionIndexEntry) => void;
  /** Its entry changed (status, title, role). */
  changed: (entry: SessionIndexEntry) => void;
  /** The user is no longer a participant. */
  removed: (sid: string) => void;
}

function isEntry(x: unknown): x is SessionIndexEntry {
  const e = x as Record<string, unknown> | null;
  return !!e && typeof e === 'object' && typeof e.sid === 'string' && typeof e.role === 'string' && typeof e.status === 'string';
}

export class SessionIndex extends Emitter<SessionIndexEvents> {
  private readonly entries = new Map<string, SessionIndexEntry>();
  /** When each entry was last touched, on the counter mark() reads. */
  private readonly touched = new Map<string, number>();
  private clock = 0;

  get(sid: string): SessionIndexEntry | undefined {
    return this.entries.get(sid);
  }

  /** Every session, most recently updated first. */
  list(): SessionIndexEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
  }

  get size(): number {
    return this.entries.size;
  }

  /** A point in time for reconcile(): entries touched after it are newer than the list. */
  mark(): number {
    return ++this.clock;
  }

  /** A retained index message for sid: an entry, or undefined for an empty payload. */
  onRetained(sid: string, entry: unknown): void {
    this.touched.set(sid, ++this.clock);
    if (entry === undefined) {
      if (this.entries.delete(sid)) this.emit('removed', sid);
      return;
    }
    if (!isEntry(entry) || entry.sid !== sid) return;
    this.put(entry);
  }

  /**
   * The list from sessions.list requested at `mark`: when complete, entries not in it and not
   * touched since the request are gone.
   */
  reconcile(list: unknown[], complete: boolean, mark: number): void {
    const seen = new Set<string>();
    for (const e of list) {
      if (!isEntry(e)) continue;
      seen.add(e.sid);
      // A retained update that arrived after the request is newer than the list.
      if ((this.touched.get(e.sid) ?? 0) <= mark) this.put(e);
    }
    if (!complete) return;
    for (const sid of [...this.entries.keys()]) {
      if (!seen.has(sid) && (this.touched.get(sid) ?? 0) < mark) {
        this.entries.delete(sid);
        this.emit('removed', sid);
      }
    }
  }

  private put(entry: SessionIndexEntry): void {
    const prev = this.entries.get(entry.sid);
    if (prev && prev.updatedAt > entry.updatedAt) return;
    this.entries.set(entry.sid, entry);
    if (!prev) this.emit('added', entry);
    else if (JSON.stringify(prev) !== JSON.stringify(entry)) this.emit('changed', entry);
  }
}
