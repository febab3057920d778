/**
 * Who has processed what, for one session: the async iterators over its items and the persisted
 * lastSeq. The store only moves to a seq every consumer has processed, so after a crash the
 * application resumes at the first item it had not finished: iterators count an item processed
 * when they ask for the next one (or leave the loop), listeners when they return.
 */
import { AsyncQueue } from './async-queue.ts';
import type { SeqStore } from './seq-store.ts';
import type { FeedItem } from './session-feed.ts';

interface IteratorState {
  queue: AsyncQueue<FeedItem>;
  processed: number;
  yielded: number;
  pulled: boolean;
}

function seqOf(item: FeedItem): number {
  return item.kind === 'event' ? item.event.seq : item.kind === 'reset' ? item.atSeq : 0;
}

export class ConsumerCursor {
  private readonly iterators = new Set<IteratorState>();
  /** Items since join, handed to the first iterator so that it misses nothing. */
  private initial?: IteratorState;
  private saved: number;

  constructor(
    private readonly sid: string,
    private readonly store: SeqStore,
    lastSeq: number,
    /** The last seq delivered (or covered by a history page). */
    private readonly delivered: () => number,
    /** Whether listeners consume items (they count as processed when emit returns). */
    private readonly listening: () => boolean,
    /**
     * The highest seq that may be stored: before the start of every open stream, whose text so
     * far lives only in memory, so a restarted client gets the stream again [CLIENT-RESUME-10].
     */
    private readonly ceiling: () => number = () => Infinity,
  ) {
    this.saved = lastSeq;
    this.initial = this.create();
  }

  /** The first call gets every item since join; later calls get items from now on. */
  iterator(): AsyncIterableIterator<FeedItem> {
    const it = this.initial ?? this.create();
    this.initial = undefined;
    return it.queue;
  }

  /** The application listens instead of iterating: the join-time queue is not needed. */
  dropInitial(): void {
    if (!this.initial) return;
    this.iterators.delete(this.initial);
    this.initial = undefined;
  }

  push(item: FeedItem): void {
    if (item.kind === 'rewind') this.rewind();
    for (const it of this.iterators) it.queue.push(item);
  }

  /** The host lost events: the stored cursor goes back to 0 with the new generation. */
  private rewind(): void {
    this.saved = 0;
    for (const it of this.iterators) it.processed = it.yielded = 0;
    void this.store.save(this.sid, 0);
  }

  /** Ends every iterator, normally or with an error. */
  end(err?: Error): void {
    for (const it of this.iterators) it.queue.end(err);
  }

  commit(): void {
    let seq: number;
    if (this.iterators.size > 0) {
      seq = this.delivered();
      for (const it of this.iterators) seq = Math.min(seq, it.queue.size === 0 && it.pulled ? this.delivered() : it.processed);
    } else if (this.listening()) {
      seq = this.delivered();
    } else {
      return; // nobody processed anything
    }
    seq = Math.min(seq, this.ceiling());
    if (seq > this.saved) {
      this.saved = seq;
      void this.store.save(this.sid, seq);
    }
  }

  private create(): IteratorState {
    const it: IteratorState = {
      processed: this.saved,
      yielded: this.saved,
      pulled: false,
      queue: new AsyncQueue<FeedItem>(
        () => {
          // Asking for the next item means the previous one is processed.
          it.processed = it.yielded;
          it.pulled = true;
          this.commit();
        },
        () => {
          // Leaving the loop: the last item it got is processed, the queued ones are not.
          it.processed = it.yielded;
          it.pulled = false;
          this.commit();
          this.iterators.delete(it);
        },
        (item) => {
          it.yielded = seqOf(item);
          it.pulled = false;
        },
      ),
    };
    this.iterators.add(it);
    return it;
  }
}
