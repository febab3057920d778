/**
 * Ordered QoS 1 publishing with a bounded in-flight window. mqtt.js' default message-id allocator
 * wraps at 65,535 without checking ids still in flight, and an unbounded burst buffers without
 * limit, so the host never has more than `window` unacknowledged publishes outstanding.
 */
import type { Publisher } from '../link/link.ts';
import { Fifo } from '../../common/fifo.ts';

interface Pending {
  topic: string;
  payload: string | Buffer;
  retain: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Outbox {
  private readonly queue = new Fifo<Pending>();
  private inflight = 0;
  private retainedInFlight = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly client: Publisher,
    private readonly window = 500,
    /**
     * For a publisher whose publishes may overtake each other (Aedes stores a retained message
     * asynchronously before delivering it): a retained publish waits for everything before it and
     * holds back everything after it, so a state is never delivered before the events it follows
     * [HOST-SNAPSHOT-5] nor after the ack that follows it.
     */
    private readonly retainedBarrier = false,
  ) {}

  publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, payload, retain, resolve, reject });
      this.pump();
    });
  }

  get size(): number {
    return this.queue.length + this.inflight;
  }

  /** Resolves when everything queued so far is acknowledged by the broker (or failed). */
  drained(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.inflight < this.window && this.queue.length > 0) {
      if (this.retainedBarrier && (this.retainedInFlight || (this.queue.peek()!.retain && this.inflight > 0))) return;
      const p = this.queue.shift()!;
      this.inflight++;
      if (p.retain) this.retainedInFlight = true;
      this.client.publish(p.topic, p.payload, { qos: 1, retain: p.retain }, (err) => {
        this.inflight--;
        if (p.retain) this.retainedInFlight = false;
        if (err) p.reject(err);
        else p.resolve();
        this.pump();
        if (this.size === 0) for (const fn of this.idle.splice(0)) fn();
      });
    }
  }
}
