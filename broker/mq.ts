/**
 * The broker's message emitter: at most `concurrency` deliveries at a time, the rest queued in
 * order, started from a loop instead of a recursion.
 *
 * Aedes hands every publish to its `mq` (on, removeListener, emit, close). Stock mqemitter 7.1.0
 * bounds concurrent deliveries itself, but when one finishes it starts the next queued message
 * from inside the finished one's callback; if that delivery also finishes synchronously (no
 * subscriber, QoS 0, a denied forward...), the next starts one stack frame deeper. With a few
 * thousand messages queued behind a slow subscriber — 1,000 sessions streaming tokens do it — the
 * process dies with `RangeError: Maximum call stack size exceeded` (upstream mcollina/mqemitter#204).
 *
 * So this emitter keeps the bound and the queue itself and uses a stock mqemitter only through its
 * public API, unbounded (`concurrency: 0`, so its own queue is never used), for topic matching and
 * delivery. A delivery that finishes inside the loop that started it only gives its slot back;
 * the loop then starts the next message. Messages start in the order they were emitted, and an
 * emit while anything is queued goes behind it (per-publisher order, [MQTT-4.6.0-6]).
 */
import mqemitter from 'mqemitter';
import { Fifo } from '../common/fifo.ts';

type Message = mqemitter.Message;
type Listener = (message: Message, done: () => void) => void;
type Callback = (error?: Error) => void;

function noop() {}

export class BoundedMqEmitter {
  /** Topic matching and delivery; unbounded, the bound is kept here. */
  private readonly matcher = mqemitter({ concurrency: 0, matchEmptyLevels: true });
  private readonly queue = new Fifo<[Message, Callback]>();
  private starting = false;
  /** Deliveries started and not yet finished. */
  current = 0;
  closed = false;

  /** As in mqemitter, a concurrency of 0 means no bound. */
  private readonly limit: number;

  constructor(readonly concurrency: number) {
    this.limit = concurrency > 0 ? concurrency : Infinity;
  }

  /** Messages waiting for a free slot. */
  get length(): number {
    return this.queue.length;
  }

  on(topic: string, listener: Listener, done?: () => void): this {
    this.matcher.on(topic, listener, done);
    return this;
  }

  removeListener(topic: string, listener: Listener, done?: () => void): this {
    this.matcher.removeListener(topic, listener, done);
    return this;
  }

  emit(message: Message, callback: Callback = noop): this {
    if (this.closed) {
      callback(new Error('mqemitter is closed'));
      return this;
    }
    if (this.queue.length > 0 || this.current >= this.limit) {
      this.queue.push([message, callback]);
      // Slots are free here only if a listener threw out of the loop below.
      this.startQueued();
    } else {
      this.deliver(message, callback);
    }
    return this;
  }

  /** Refuses new messages; those already accepted are still delivered, as with stock mqemitter. */
  close(callback: () => void = noop): this {
    this.closed = true;
    setImmediate(callback);
    return this;
  }

  private deliver(message: Message, callback: Callback): void {
    this.current++;
    this.matcher.emit(message, (error) => {
      callback(error);
      this.current--;
      this.startQueued();
    });
  }

  /** Starts queued messages while slots are free; a nested call (a synchronous finish) returns at once. */
  private startQueued(): void {
    if (this.starting) return;
    this.starting = true;
    try {
      while (this.queue.length > 0 && this.current < this.limit) {
        const [message, callback] = this.queue.shift()!;
        this.deliver(message, callback);
      }
    } finally {
      this.starting = false;
    }
  }
}

/** Aedes' emitter with its default bound of 100 concurrent deliveries. */
export function createMq(opts: { concurrency?: number } = {}): BoundedMqEmitter {
  return new BoundedMqEmitter(opts.concurrency ?? 100);
}
