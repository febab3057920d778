/**
 * A wire-level protocol participant: raw MQTT plus JSON, no client library. The conformance suite
 * drives hosts with it, and host tests use it, so every check sees exactly what goes on the wire.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';

type D = Record<string, any>;

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** QoS of the delivery (the lower of publish and subscription QoS). */
  qos?: number;
  /** When it arrived (performance.now()), to compare arrival order across topics. */
  at?: number;
  json?: D;
}

export class WireTimeout extends Error {
  override name = 'WireTimeout';
}

export class WirePeer {
  readonly replyTo: string;
  readonly log: Received[] = [];
  private waiters: { pred: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];
  private counter = 0;

  private constructor(
    readonly client: MqttClient,
    readonly principal: string,
    readonly clientId: string,
    readonly timeoutMs: number,
  ) {
    this.replyTo = `tether/v1/replies/${principal}/${clientId}`;
  }

  static async connect(url: string, principal: string, opts: IClientOptions & { timeoutMs?: number } = {}): Promise<WirePeer> {
    const clientId = opts.clientId ?? `${principal}-${randomUUID().slice(0, 8)}`;
    const client = mqtt.connect(url, { clientId, username: principal, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    const peer = new WirePeer(client, principal, clientId, opts.timeoutMs ?? 5000);
    // Handler before CONNECT so nothing delivered with the CONNACK is missed.
    client.on('message', (topic, payload, packet) =>
      peer.onMessage({ topic, payload, retain: packet.retain, qos: packet.qos, at: performance.now() }),
    );
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => {
        (client.stream as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
        resolve();
      });
      client.once('error', reject);
      client.once('close', () => reject(new Error(`connection to ${url} closed before CONNACK`)));
    });
    client.removeAllListeners('error');
    client.on('error', () => {});
    await client.subscribeAsync(`${peer.replyTo}`, { qos: 1 });
    return peer;
  }

  private onMessage(m: Received): void {
    if (m.payload.length) {
      try {
        m.json = JSON.parse(m.payload.toString('utf8'));
      } catch {
        /* not JSON: kept raw */
      }
    }
    this.log.push(m);
    for (const w of this.waiters.slice()) {
      if (w.pred(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  /** Resolves with the first message (already received or future) matching pred. */
  waitFor(pred: (m: Received) => boolean, what = 'message', timeoutMs = this.timeoutMs, since = 0): Promise<Received> {
    const seen = this.log.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m: Received) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new WireTimeout(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Subscribes with QoS 1 and returns the granted QoS, or 128 when the broker refused. */
  async subscribe(filter: string): Promise<number> {
    try {
      const granted = await this.client.subscribeAsync(filter, { qos: 1 });
      return granted[0]?.qos ?? 128;
    } catch (err) {
      // mqtt.js turns a SUBACK return code 0x80 into an error.
      if (/Subscribe error/i.test((err as Error).message)) return 128;
      throw err;
    }
  }

  nextId(prefix = 'c'): string {
    return `${prefix}-${this.clientId}-${++this.counter}`;
  }

  async publish(topic: string, payload: string | Buffer | D, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(topic, body, { qos: opts.qos ?? 1, retain: opts.retain ?? false });
  }

  /** Messages received so far on a topic (in arrival order). */
  on(topic: string): Received[] {
    return this.log.filter((m) => m.topic === topic);
  }

  /** Publishes a command and resolves with the host's reply (ack or error) for its id. */
  async command(sid: string, type: string, data: D, opts: { id?: string; replyTo?: string | null; raw?: D } = {}): Promise<D> {
    const id = opts.id ?? this.nextId();
    const cmd: D = { v: 1, id, type, data, ...opts.raw };
    if (opts.replyTo !== null) cmd.replyTo = opts.replyTo ?? this.replyTo;
    const since = this.log.length;
    await this.publish(`tether/v1/sessions/${sid}/submit/${this.principal}`, cmd);
    const reply = await this.waitFor((m) => m.topic === this.replyTo && m.json?.re === id, `reply to ${type} ${id}`, this.timeoutMs, since);
    return reply.json!;
  }

  async request(type: string, data: D, opts: { id?: string } = {}): Promise<D> {
    const id = opts.id ?? this.nextId('r');
    const since = this.log.length;
    await this.publish(`tether/v1/requests/${this.principal}`, { v: 1, id, type, replyTo: this.replyTo, data });
    const reply = await this.waitFor((m) => m.topic === this.replyTo && m.json?.re === id, `reply to ${type} ${id}`, this.timeoutMs, since);
    return reply.json!;
  }

  /** All events seen on a session's events topic, flattened from batches, in arrival order. */
  events(sid: string): D[] {
    return this.log.filter((m) => m.topic === `tether/v1/sessions/${sid}/events` && m.json).flatMap((m) => m.json!.events as D[]);
  }

  async waitForEvent(sid: string, pred: (e: D) => boolean, what = 'event'): Promise<D> {
    const topic = `tether/v1/sessions/${sid}/events`;
    const m = await this.waitFor((m) => m.topic === topic && Array.isArray(m.json?.events) && m.json!.events.some(pred), what);
    return (m.json!.events as D[]).find(pred)!;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
