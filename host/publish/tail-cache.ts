/**
 * The recent tail of each session's log, kept in memory as the JSON text the host already made
 * when it published the events. A history page inside the tail is assembled from these strings
 * instead of reading, parsing and serialising the rows again: the common catch-up (a device that
 * was away for minutes) never touches the store. Only committed events enter (pages serve committed
 * events only), each session's tail is contiguous, and the whole cache is bounded in bytes with
 * least-recently-used sessions dropped first. Empty after a restart: then pages come from the store.
 */

interface Tail {
  /** seq of items[head]. */
  firstSeq: number;
  items: string[];
  head: number;
  bytes: number;
}

export interface TailCacheOptions {
  /** Events kept per session (default 10,000). */
  maxEventsPerSession?: number;
  /** Bytes of JSON text kept in all (default 64 MiB; 0 turns the cache off). */
  maxBytes?: number;
}

export class TailCache {
  private readonly tails = new Map<string, Tail>();
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(opts: TailCacheOptions = {}) {
    this.maxEvents = opts.maxEventsPerSession ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  /** Total bytes held (for metrics and tests). */
  get size(): number {
    return this.bytes;
  }

  /** Adds the committed event `seq` of `sid`; a seq that does not follow the tail starts it again. */
  append(sid: string, seq: number, json: string): void {
    if (this.maxEvents <= 0 || this.maxBytes <= 0) return;
    let tail = this.tails.get(sid);
    if (tail && tail.firstSeq + (tail.items.length - tail.head) !== seq) {
      this.drop(sid);
      tail = undefined;
    }
    if (!tail) {
      tail = { firstSeq: seq, items: [], head: 0, bytes: 0 };
    } else {
      this.tails.delete(sid); // re-insert: most recently used last
    }
    this.tails.set(sid, tail);
    tail.items.push(json);
    tail.bytes += json.length;
    this.bytes += json.length;
    while (tail.items.length - tail.head > this.maxEvents) this.shift(tail);
    if (tail.head > 1024 && tail.head * 2 > tail.items.length) {
      tail.items = tail.items.slice(tail.head);
      tail.head = 0;
    }
    if (this.bytes > this.maxBytes) {
      // Least recently appended sessions first (Map order), never the one being appended to.
      for (const other of [...this.tails.keys()]) {
        if (this.bytes <= this.maxBytes) break;
        if (other !== sid) this.drop(other);
      }
    }
    while (this.bytes > this.maxBytes && tail.items.length - tail.head > 1) this.shift(tail);
  }

  /**
   * The JSON of events after..to (at most limit of them), or undefined when the tail does not hold
   * all of them.
   */
  read(sid: string, after: number, to: number, limit: number): string[] | undefined {
    const tail = this.tails.get(sid);
    if (!tail || after + 1 < tail.firstSeq) return undefined;
    const lastSeq = tail.firstSeq + (tail.items.length - tail.head) - 1;
    const end = Math.min(to, after + limit);
    if (end > lastSeq) return undefined;
    if (end <= after) return [];
    const from = tail.head + (after + 1 - tail.firstSeq);
    return tail.items.slice(from, from + (end - after));
  }

  /** Forgets a session's tail (its log changed other than by appending). */
  drop(sid: string): void {
    const tail = this.tails.get(sid);
    if (!tail) return;
    this.bytes -= tail.bytes;
    this.tails.delete(sid);
  }

  private shift(tail: Tail): void {
    const gone = tail.items[tail.head]!;
    tail.items[tail.head] = '';
    tail.head++;
    tail.firstSeq++;
    tail.bytes -= gone.length;
    this.bytes -= gone.length;
  }
}
