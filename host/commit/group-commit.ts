/**
 * Group commit: one store transaction for everything accepted since the last flush, then the
 * batch is published [HOST-DURABLE-5]. One commit at a time: what arrives meanwhile waits and goes
 * into the next, larger batch.
 */
import type { Logger } from 'pino';
import type { HostMetrics } from '../metrics.ts';
import type { LiveSession } from '../sequencer/live-sessions.ts';
import type { BatchSink } from '../sequencer/sequencer.ts';
import type { CommitBatch, Store } from '../store/store.ts';
import { emptyBatch, storeChangesOf, type Accepted, type Batch, type Duplicate } from './batch.ts';

export interface CommitOutcome {
  /** The batch is durably in the store. */
  committed(batch: Batch, commit: CommitBatch): Promise<void>;
  /** The store refused the batch: nothing of it happened. */
  failed(batch: Batch): void;
}

export interface GroupCommitOptions {
  store: Store;
  /** Most commands committed in one transaction. */
  batchMax: number;
  outcome: CommitOutcome;
  log: Logger;
  metrics?: HostMetrics;
}

export class GroupCommit implements BatchSink {
  private batch = emptyBatch();
  private flushScheduled = false;
  /** The commit in progress (one at a time). */
  private committing?: Promise<void>;

  constructor(private readonly opts: GroupCommitOptions) {}

  accept(accepted: Accepted, session: LiveSession): void {
    this.batch.accepted.push(accepted);
    this.batch.touched.set(accepted.event.sid, session);
    this.schedule();
  }

  duplicate(d: Duplicate): void {
    this.batch.duplicates.push(d);
    this.schedule();
  }

  /** The open batch has as many commands as one transaction takes. */
  get full(): boolean {
    return this.batch.accepted.length >= this.opts.batchMax;
  }

  /** Flushes once the current turn of the event loop is done (what it accepts joins the batch). */
  schedule(): void {
    if (this.flushScheduled || (this.batch.accepted.length === 0 && this.batch.duplicates.length === 0)) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  flush(): Promise<void> {
    // One commit at a time: what arrives meanwhile waits and goes into the next, larger batch. With
    // a store whose commit is truly asynchronous (another thread, a network database), sealing a
    // batch every turn queued many tiny commits, each paying a whole fsync.
    if (this.committing)
      return this.committing.then(
        () => this.flush(),
        () => this.flush(),
      );
    const batch = this.batch;
    if (batch.accepted.length === 0 && batch.duplicates.length === 0) return Promise.resolve();
    this.batch = emptyBatch();
    // Sealed synchronously: the live rows are exactly as of this batch's last events.
    batch.rows = [...batch.touched.values()].map((s) => s.row);
    const committing = this.commit(batch).finally(() => {
      if (this.committing === committing) this.committing = undefined;
    });
    this.committing = committing;
    return committing;
  }

  private async commit(batch: Batch): Promise<void> {
    const commit = storeChangesOf(batch);
    const started = performance.now();
    try {
      if (commit.events.length) await this.opts.store.commit(commit);
    } catch (err) {
      this.opts.log.error({ err }, 'store commit failed; commands are not acknowledged and will be retried by clients');
      this.opts.outcome.failed(batch);
      return;
    }
    this.opts.metrics?.commitSeconds.observe((performance.now() - started) / 1000);
    this.opts.metrics?.accepted.inc(batch.accepted.length);
    await this.opts.outcome.committed(batch, commit);
  }
}
