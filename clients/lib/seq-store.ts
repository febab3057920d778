/**
 * Where a client keeps the last seq it processed per session, so that after a restart or a page
 * reload it resumes from there. Memory and localStorage live here; the file store is Node-only
 * (file-seq-store.ts) and stays out of the browser bundle.
 */
export interface SeqStore {
  /** The last processed seq of a session, or undefined when nothing is stored. */
  load(sid: string): number | undefined | Promise<number | undefined>;
  save(sid: string, seq: number): void | Promise<void>;
  /** Writes out anything buffered (called when a session is left and when the client closes). */
  flush?(): void | Promise<void>;
}

export class MemorySeqStore implements SeqStore {
  private readonly seqs = new Map<string, number>();

  load(sid: string): number | undefined {
    return this.seqs.get(sid);
  }

  save(sid: string, seq: number): void {
    this.seqs.set(sid, seq);
  }
}

/** The subset of the Web Storage API used here. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Browser persistence: one localStorage key per session, written at most every `intervalMs`. */
export class LocalStorageSeqStore implements SeqStore {
  private readonly storage: KeyValueStorage;
  private readonly dirty = new Map<string, number>();
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly prefix = 'tether.lastSeq.',
    storage?: KeyValueStorage,
    private readonly intervalMs = 200,
  ) {
    const s = storage ?? (globalThis as { localStorage?: KeyValueStorage }).localStorage;
    if (!s) throw new Error('LocalStorageSeqStore: no localStorage in this environment');
    this.storage = s;
  }

  load(sid: string): number | undefined {
    const pending = this.dirty.get(sid);
    if (pending !== undefined) return pending;
    const raw = this.storage.getItem(this.prefix + sid);
    const n = raw === null ? NaN : Number(raw);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }

  save(sid: string, seq: number): void {
    this.dirty.set(sid, seq);
    if (this.intervalMs <= 0) return this.flush();
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [sid, seq] of this.dirty) this.storage.setItem(this.prefix + sid, String(seq));
    this.dirty.clear();
  }
}
