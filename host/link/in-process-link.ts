/**
 * The embedded deployment's link: the host attaches to the Aedes instance in its own process.
 * Subscriptions are mqemitter listeners and publishes go straight to `broker.publish`, so the
 * host's traffic is neither encoded, parsed nor written to a socket. Nothing can disconnect it,
 * so there is no Will and no rebirth: the host cannot outlive the broker.
 */
import type { Aedes } from 'aedes';
import type { BrokerLink, MessageHandler, PublishCallback } from './link.ts';

type Listener = (packet: { topic: string; payload: Buffer | string }, done: () => void) => void;

export class InProcessLink implements BrokerLink {
  /** Aedes stores a retained message asynchronously before delivering it. */
  readonly reordersRetained = true;
  private readonly listeners: Array<[string, Listener]> = [];
  private opened = false;
  private ended = false;

  constructor(private readonly broker: Aedes) {}

  get connected(): boolean {
    return this.opened && !this.ended && !this.broker.closed;
  }

  publish(topic: string, payload: string | Buffer, opts: { qos: 1; retain: boolean }, cb: PublishCallback): void {
    if (!this.connected) return cb(new Error('the broker is closed'));
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.broker.publish(
      { cmd: 'publish', topic, payload: body, qos: opts.qos, retain: opts.retain, dup: false } as never,
      (err?: Error | null) => cb(err ?? undefined),
    );
  }

  /** Listens on each filter; `onMessage` runs synchronously inside the broker's dispatch. */
  async open(filters: string[], onMessage: MessageHandler): Promise<void> {
    this.opened = true;
    const listener: Listener = (packet, done) => {
      try {
        onMessage(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
      } finally {
        done();
      }
    };
    await Promise.all(
      filters.map(
        (f) =>
          new Promise<void>((resolve, reject) => {
            this.listeners.push([f, listener]);
            this.broker.subscribe(f, listener as never, ((err?: Error) => (err ? reject(err) : resolve())) as never);
          }),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await Promise.all(
      this.listeners.splice(0).map(([f, l]) => new Promise<void>((r) => this.broker.unsubscribe(f, l as never, (() => r()) as never))),
    );
  }
}
