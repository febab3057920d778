/**
 * The broker's message emitter: mqemitter with its queue release made stack-safe.
 *
 * Aedes hands every publish to mqemitter, which runs at most `concurrency` (Aedes: 100) deliveries
 * at a time and queues the rest. When a delivery finishes, mqemitter's `released()` starts the next
 * queued message by calling `_do` directly; if that delivery also finishes synchronously (no
 * subscriber, QoS 0, a denied forward...), `released()` runs again one stack frame deeper. With a
 * few thousand messages queued — 1,000 sessions streaming tokens do it — the process dies with
 * `RangeError: Maximum call stack size exceeded` (mqemitter 7.1.0, upstream mcollina/mqemitter#204).
 *
 * This emitter counts nested `_do` calls. Past `maxDepth` it parks the message in a FIFO drained
 * from `setImmediate` on a fresh stack; while anything is parked, every later dispatch is parked
 * behind it, so messages still start in the order mqemitter released them (per-publisher order,
 * MQTT-4.6.0-6). A parked message keeps its concurrency slot, so emit() queues newer messages
 * instead of overtaking it. While draining, a release that would have recursed appends to the
 * FIFO instead: the chain becomes a loop.
 */
import mqemitter from 'mqemitter';
import { Fifo } from '../common/fifo.ts';

type Message = mqemitter.Message;
type Callback = (error?: Error) => void;
interface Internals {
  current: number;
  _messageQueue: unknown;
  _messageCallbacks: unknown;
  _doing: boolean;
  _do(message: Message, callback: Callback): unknown;
}

/** Nested dispatches allowed before continuing on a new stack (each costs ~20 frames). */
export const MAX_DISPATCH_DEPTH = 64;

export function createMq(opts: { concurrency?: number; maxDepth?: number } = {}): mqemitter.MQEmitter {
  const mq = mqemitter({ concurrency: opts.concurrency ?? 100, matchEmptyLevels: true }) as mqemitter.MQEmitter & Internals;
  const maxDepth = opts.maxDepth ?? MAX_DISPATCH_DEPTH;
  const dispatch = mq._do.bind(mq);
  mq._messageQueue = new Fifo<Message>();
  mq._messageCallbacks = new Fifo<Callback>();
  const parked = new Fifo<[Message, Callback]>();
  let depth = 0;
  let scheduled = false;

  const run = (message: Message, callback: Callback) => {
    depth++;
    try {
      dispatch(message, callback);
    } finally {
      depth--;
    }
  };
  const drain = () => {
    scheduled = false;
    for (let next = parked.shift(); next; next = parked.shift()) {
      mq.current--;
      run(next[0], next[1]);
    }
  };
  mq._do = function (message, callback) {
    if (parked.length > 0 || depth >= maxDepth) {
      // Hold the slot that released() or emit() meant for this message, and mark a release chain
      // as running (the drain), or emit() would take the queue for leaked and warn.
      mq.current++;
      mq._doing = true;
      parked.push([message, callback]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
      return mq;
    }
    run(message, callback);
    return mq;
  };
  return mq;
}
