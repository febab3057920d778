/**
 * A wire-level protocol participant: raw MQTT plus JSON, no client library. The conformance suite
 * drives hosts with it, and host tests use it, so every check sees exactly what goes on the wire.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { isId, topics, unchecked } from '../protocol/topics.ts';
import { parseJson, type ObservedEvent, type ObservedPayload, type ObservedReply } from './kit/observed.ts';

/** How a peer types what it receives: payloads, replies and the events of batches. */
export interface PayloadTypes {
  payload: object;
  reply: object;
  event: object;
}

/** The suite's view: nothing received is trusted (kit/observed.ts). */
export interface ObservedTypes extends PayloadTypes {
  payload: ObservedPayload;
  reply: ObservedReply;
  event: ObservedEvent;
}

/**
 * The view of the reference host's own tests (test/), which trust the host they run and read its
 * payloads as plain objects; the default, so that those tests build peers without naming a view.
 */
// biome-ignore lint/suspicious/noExplicitAny: the reference host's own tests read its payloads untyped, as trusted
type TrustedJson = Record<string, any>;
export interface TrustedTypes extends PayloadTypes {
  payload: TrustedJson;
  reply: TrustedJson;
  event: TrustedJson;
}

export interface Received<P extends object = ObservedPayload> {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** QoS of the delivery (the lower of publish and subscription QoS). */
  qos?: number;
  /** When it arrived (performance.now()), to compare arrival order across topics. */
  at?: number;
  json?: P;
}

export class WireTimeout extends Error {
  override name = 'WireTimeout';
}

export class WirePeer<V extends PayloadTypes = TrustedTypes> {
  readonly replyTo: string;
  readonly log: Received<V['payload']>[] = [];
  private waiters: { pred: (m: Received<V['payload']>) => boolean; resolve: (m: Received<V['payload']>) => void }[] = [];
  private counter = 0;

  private constructor(
    readonly client: MqttClient,
    readonly principal: string,
    readonly clientId: string,
    readonly timeoutMs: number,
  ) {
    this.replyTo = mapped([principal, clientId], () => topics.replies(principal, clientId), ['replies', principal, clientId]);
  }

  static async connect<V extends PayloadTypes = TrustedTypes>(
    url: string,
    principal: string,
    opts: IClientOptions & { timeoutMs?: number } = {},
  ): Promise<WirePeer<V>> {
    const clientId = opts.clientId ?? `${principal}-${randomUUID().slice(0, 8)}`;
    const client = mqtt.connect(url, { clientId, username: principal, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    const peer = new WirePeer<V>(client, principal, clientId, opts.timeoutMs ?? 5000);
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

  private onMessage(m: Received<V['payload']>): void {
    // Not JSON: kept raw.
    const json = parseJson(m.payload);
    if (json !== undefined) m.json = json as V['payload'];
    this.log.push(m);
    for (const w of this.waiters.slice()) {
      if (w.pred(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  /** Resolves with the first message (already received or future) matching pred. */
  waitFor(
    pred: (m: Received<V['payload']>) => boolean,
    what = 'message',
    timeoutMs = this.timeoutMs,
    since = 0,
  ): Promise<Received<V['payload']>> {
    const seen = this.log.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m: Received<V['payload']>) => (clearTimeout(timer), resolve(m)) };
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

  /** Publishes a payload: raw text or bytes as they are, anything else as JSON (it may be deliberately invalid). */
  async publish(topic: string, payload: string | Buffer | object, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(topic, body, { qos: opts.qos ?? 1, retain: opts.retain ?? false });
  }

  /** Messages received so far on a topic (in arrival order). */
  on(topic: string): Received<V['payload']>[] {
    return this.log.filter((m) => m.topic === topic);
  }

  /**
   * Publishes a command and resolves with the host's reply (ack or error) for its id. The data is the
   * caller's: a check may send data its type does not allow, to see it refused.
   */
  async command(
    sid: string,
    type: string,
    data: unknown,
    opts: { id?: string; replyTo?: string | null; raw?: object } = {},
  ): Promise<V['reply']> {
    const id = opts.id ?? this.nextId();
    const cmd: Record<string, unknown> = { v: 1, id, type, data, ...opts.raw };
    if (opts.replyTo !== null) cmd.replyTo = opts.replyTo ?? this.replyTo;
    const since = this.log.length;
    await this.publish(
      mapped([sid, this.principal], () => topics.submit(sid, this.principal), ['sessions', sid, 'submit', this.principal]),
      cmd,
    );
    return this.reply(id, `reply to ${type} ${id}`, since);
  }

  async request(type: string, data: unknown, opts: { id?: string } = {}): Promise<V['reply']> {
    const id = opts.id ?? this.nextId('r');
    const since = this.log.length;
    await this.publish(
      mapped([this.principal], () => topics.requests(this.principal), ['requests', this.principal]),
      { v: 1, id, type, replyTo: this.replyTo, data },
    );
    return this.reply(id, `reply to ${type} ${id}`, since);
  }

  private async reply(id: string, what: string, since: number): Promise<V['reply']> {
    const reply = await this.waitFor(
      (m) => m.topic === this.replyTo && (m.json as { re?: unknown } | undefined)?.re === id,
      what,
      this.timeoutMs,
      since,
    );
    return reply.json as V['reply'];
  }

  /** All events seen on a session's events topic, flattened from batches, in arrival order. */
  events(sid: string): V['event'][] {
    const topic = eventsTopic(sid);
    return this.log.filter((m) => m.topic === topic && m.json).flatMap((m) => eventsOf(m.json) as V['event'][]);
  }

  async waitForEvent(sid: string, pred: (e: V['event']) => boolean, what = 'event'): Promise<V['event']> {
    const topic = eventsTopic(sid);
    const m = await this.waitFor(
      (m) => m.topic === topic && Array.isArray(eventsOf(m.json)) && (eventsOf(m.json) as V['event'][]).some(pred),
      what,
    );
    return (eventsOf(m.json) as V['event'][]).find(pred)!;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * A topic of the map; for an id outside the ID alphabet (a negative test connects, or sends to a sid,
 * that no valid topic can name) the same levels unchecked, as the peer published them before.
 */
function mapped(ids: string[], build: () => string, levels: string[]): string {
  return ids.every((x) => isId(x)) ? build() : unchecked(...levels);
}

const eventsTopic = (sid: string) => mapped([sid], () => topics.events(sid), ['sessions', sid, 'events']);

/** The events array of a batch as received (whatever it holds). */
function eventsOf(json: object | undefined): unknown {
  return (json as { events?: unknown } | undefined)?.events;
}

/** The suite's wire peer: everything it receives is observed, never trusted. */
export type Peer = WirePeer<ObservedTypes>;
