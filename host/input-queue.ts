/**
 * Messages from the broker are handled one at a time, in arrival order, so each decision sees
 * every command accepted before it. Full batches are committed on the way; whatever the queue
 * accepted is committed once it runs dry.
 */
import type { Logger } from 'pino';
import { Fifo } from '../common/fifo.ts';
import type { GroupCommit } from './commit/group-commit.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { HostMetrics } from './metrics.ts';

interface Received {
  topic: string;
  payload: Buffer;
}

export interface InputQueueOptions {
  handle: (topic: string, payload: Buffer) => Promise<void>;
  commits: GroupCommit;
  lifecycle: Lifecycle;
  log: Logger;
  metrics?: HostMetrics;
}

export class InputQueue {
  private readonly queue = new Fifo<Received>();
  private pumping = false;

  constructor(private readonly opts: InputQueueOptions) {}

  push(topic: string, payload: Buffer): void {
    if (this.opts.lifecycle.stopping) return;
    this.queue.push({ topic, payload });
    this.opts.metrics?.received.inc();
    if (!this.pumping) void this.pump();
  }

  /** Resolves when every message taken in so far is handled. */
  async drained(): Promise<void> {
    while (this.pumping || this.queue.length) await new Promise((r) => setImmediate(r));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    await this.opts.lifecycle.ready;
    try {
      while (this.queue.length) {
        const m = this.queue.shift()!;
        try {
          await this.opts.handle(m.topic, m.payload);
        } catch (err) {
          // Never crash on input [HOST-REPLY-3]; an unexpected failure is an INTERNAL error.
          this.opts.log.error({ err, topic: m.topic }, 'unexpected failure handling message');
        }
        if (this.opts.commits.full) await this.opts.commits.flush();
      }
    } finally {
      this.pumping = false;
    }
    this.opts.commits.schedule();
  }
}
