/**
 * How the host reaches its broker. Over MQTT (`tether host --broker URL`: any 3.1.1 broker) it is
 * an mqtt.js client with a Will; in the embedded deployment it can attach to the Aedes instance in
 * the same process instead: subscriptions are mqemitter listeners and publishes go straight to
 * `broker.publish`, so the host's traffic is neither encoded, parsed nor written to a socket.
 * Clients cannot tell the two apart: the same topics, retain flags and QoS reach them.
 */
import type { Aedes } from 'aedes';

export type PublishCallback = (err?: Error) => void;

/** What the outbox needs: mqtt.js' MqttClient has this shape. */
export interface Publisher {
  publish(topic: string, payload: string | Buffer, opts: { qos: 1; retain: boolean }, cb: PublishCallback): unknown;
}

type Listener = (packet: { topic: string; payload: Buffer | string }, done: () => void) => void;

export class InProcessLink implements Publisher {
  private readonly listeners: Array<[string, Listener]> = [];
  private ended = false;

  constructor(private readonly broker: Aedes) {}

  get connected(): boolean {
    return !this.ended && !this.broker.closed;
  }

  publish(topic: string, payload: string | Buffer, opts: { qos: 1; retain: boolean }, cb: PublishCallback): void {
    if (!this.connected) return cb(new Error('the broker is closed'));
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.broker.publish({ cmd: 'publish', topic, payload: body, qos: opts.qos, retain: opts.retain, dup: false } as never, (err?: Error | null) => cb(err ?? undefined));
  }

  /** Listens on each filter; `onMessage` runs synchronously inside the broker's dispatch. */
  async subscribe(filters: string[], onMessage: (topic: string, payload: Buffer) => void): Promise<void> {
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

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await Promise.all(this.listeners.splice(0).map(([f, l]) => new Promise<void>((r) => this.broker.unsubscribe(f, l as never, (() => r()) as never))));
  }
}
