/**
 * Node-only SeqStore: one JSON file mapping sid -> last processed seq, rewritten atomically
 * (write to a temp file, then rename) at most every `intervalMs`, and on flush().
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SeqStore } from './seq-store.ts';

export class FileSeqStore implements SeqStore {
  private readonly seqs: Record<string, number>;
  private timer?: ReturnType<typeof setTimeout>;
  private dirty = false;

  constructor(
    readonly path: string,
    private readonly intervalMs = 100,
  ) {
    let loaded: Record<string, number> = {};
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) loaded = parsed as Record<string, number>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.seqs = loaded;
  }

  load(sid: string): number | undefined {
    const n = this.seqs[sid];
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }

  save(sid: string, seq: number): void {
    this.seqs[sid] = seq;
    this.dirty = true;
    if (this.intervalMs <= 0) return this.flush();
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref?.();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.seqs));
    renameSync(tmp, this.path);
  }
}
