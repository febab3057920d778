/**
 * The Transport over mqtt.js (MQTT 3.1.1 over TCP, TLS or WebSocket).
 *
 * mqtt.js' own reconnect uses a fixed period and replays its in-flight store on reconnect in an
 * order we do not control, so reconnects are driven here: reconnectPeriod 0, a backoff with
 * jitter, and `reconnect()` (fresh packet stores). Whatever was in flight when a connection dropped
 * is rejected with DISCONNECTED; the command and request ledgers resend it, in order, once the new
 * connection is online. QoS 1 publishes are windowed because mqtt.js' message-id allocator wraps
 * at 65,535 without checking ids still in flight [MQTT-INFLIGHT-1].
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { TetherError } from './errors.ts';
import type { ConnectionState, Transport, TransportEvents } from './transport.ts';

export interface WillMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface MqttTransportOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL. */
  url: string;
  /** MQTT username: the principal. */
  username?: string;
  /** Password or signed token. */
  password?: string;
  clientId: string;
  /** Clean session flag (default true). Long-lived clients use false with a stable clientId [MQTT-SESSION-1]. */
  clean?: boolean;
  keepaliveSec?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Most QoS 1 publishes awaiting PUBACK at once (default 256). */
  publishWindow?: number;
  /** The Will of the next connection, computed before each attempt (it carries that connection's epoch). */
  will?: () => WillMessage | undefined;
  /** Extra mqtt.js options (TLS ca/cert, wsOptions, ...). Reconnect-related ones are overridden. */
  mqtt?: IClientOptions;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Sub {
  granted: boolean;
  waiters: Waiter[];
}

interface Pending {
  topic: string;
  payload: string;
  retain: boolean;
  /** MQTT packet id while in flight. */
  messageId?: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** CONNACK return codes after which retrying cannot help: protocol, identifier, credentials, authorisation. */
const FATAL_CONNACK = new Set([1, 2, 4, 5]);

export class MqttTransport extends Emitter<TransportEvents> implements Transport {
  readonly clientId: string;
  private client?: MqttClient;
  private current: ConnectionState = 'connecting';
  /** Incremented at every connect and close: callbacks of an older connection are ignored. */
  private conn = 0;
  private readonly subs = new Map<string, Sub>();
  private readonly queue: Pending[] = [];
  private readonly inflight = new Set<Pending>();
  private readonly backoff: Backoff;
  private readonly window: number;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private closing = false;

  constructor(private readonly opts: MqttTransportOptions) {
    super();
    if (!opts.clientId) throw new TetherError('INVALID_ARGUMENT', 'an empty clientId is not allowed [MQTT-CLIENTID-1]');
    this.clientId = opts.clientId;
    this.backoff = new Backoff(opts.backoff);
    this.window = opts.publishWindow ?? 256;
  }

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    if (this.client || this.closing) return;
    const will = this.opts.will?.();
    const options: IClientOptions = {
      ...this.opts.mqtt,
      clientId: this.opts.clientId,
      username: this.opts.username,
      password: this.opts.password,
      clean: this.opts.clean ?? true,
      keepalive: this.opts.keepaliveSec ?? 30,
      connectTimeout: this.opts.connectTimeoutMs ?? 10_000,
      protocolVersion: 4,
      reconnectPeriod: 0,
      resubscribe: false,
      manualConnect: true,
      will: will ? { topic: will.topic, payload: will.payload, qos: 1, retain: will.retain } : undefined,
    };
    const client = mqtt.connect(this.opts.url, options);
    this.client = client;
    // Handlers before CONNECT: a broker may deliver queued messages with the CONNACK [MQTT-SESSION-2].
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', (err) => this.onError(err));
    client.connect();
  }

  subscribe(filter: string): Promise<void> {
    if (this.closing) return Promise.reject(new TetherError('CLOSED', 'transport closed'));
    return new Promise<void>((resolve, reject) => {
      let sub = this.subs.get(filter);
      if (sub?.granted) return resolve();
      if (!sub) {
        sub = { granted: false, waiters: [] };
        this.subs.set(filter, sub);
        sub.waiters.push({ resolve, reject });
        if (this.current === 'online') this.sendSubscribe([filter]);
        return;
      }
      sub.waiters.push({ resolve, reject });
    });
  }

  async unsubscribe(filter: string): Promise<void> {
    const sub = this.subs.get(filter);
    if (!sub) return;
    this.subs.delete(filter);
    for (const w of sub.waiters.splice(0)) w.reject(new TetherError('CLOSED', `unsubscribed from ${filter}`));
    if (this.current === 'online' && this.client) await this.client.unsubscribeAsync(filter).catch(() => {});
  }

  publish(topic: string, payload: string, opts: { retain?: boolean } = {}): Promise<void> {
    if (this.current !== 'online') return Promise.reject(new TetherError('DISCONNECTED', `not connected (${this.current})`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, payload, retain: opts.retain ?? false, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (client) {
      // Graceful DISCONNECT, so the broker does not publish the Will; bounded in case the link is dead.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([client.endAsync(false).catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      if (!client.disconnected) await client.endAsync(true).catch(() => {});
    }
    this.failPublishes(new TetherError('CLOSED', 'transport closed'));
    for (const sub of this.subs.values()) for (const w of sub.waiters.splice(0)) w.reject(new TetherError('CLOSED', 'transport closed'));
    this.setState('closed');
  }

  private setState(state: ConnectionState): void {
    if (this.current === state) return;
    this.current = state;
    this.emit('state', state);
  }

  private onConnect(): void {
    const conn = ++this.conn;
    // Nagle adds tens of ms to small frames on loopback.
    (this.client?.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    const filters = [...this.subs.keys()];
    if (filters.length === 0) return this.goOnline(conn);
    // Subscribe on every connection, whatever session-present says [MQTT-SESSION-3].
    this.sendSubscribe(filters, () => this.goOnline(conn));
  }

  private sendSubscribe(filters: string[], then?: () => void): void {
    const conn = this.conn;
    const client = this.client!;
    client.subscribe(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])), (_err, _granted, packet) => {
      if (conn !== this.conn) return;
      // An error without a SUBACK means the connection closed; onClose handles that.
      const codes = (packet as { granted?: number[] } | undefined)?.granted;
      if (!codes) return;
      // SUBACK return codes are in the order of the filters sent (mqtt.js leaves its own
      // per-topic result untouched when any code is a failure).
      filters.forEach((filter, i) => {
        const sub = this.subs.get(filter);
        if (!sub) return;
        if ((codes[i] & 0x80) !== 0) {
          this.subs.delete(filter);
          const waiters = sub.waiters.splice(0);
          const refusal = new TetherError('SUBSCRIBE_REFUSED', `the broker refused the subscription to ${filter}`);
          for (const w of waiters) w.reject(refusal);
          if (waiters.length === 0) this.emit('refused', filter);
        } else {
          sub.granted = true;
          for (const w of sub.waiters.splice(0)) w.resolve();
        }
      });
      then?.();
    });
  }

  private goOnline(conn: number): void {
    if (conn !== this.conn || this.closing) return;
    this.backoff.reset();
    this.setState('online');
    this.pump();
  }

  private onClose(): void {
    this.conn++;
    for (const sub of this.subs.values()) sub.granted = false;
    const lost = [...this.inflight];
    this.failPublishes(new TetherError('DISCONNECTED', 'connection lost'));
    // reconnect() starts with empty packet stores, so mqtt.js would never complete these; left
    // in its outgoing table they would also hold a later graceful end() forever.
    for (const p of lost) if (p.messageId !== undefined) this.client?.removeOutgoingMessage(p.messageId);
    if (this.closing) {
      this.setState('closed');
      return;
    }
    if (this.reconnectTimer) return;
    this.setState('reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closing || !this.client) return;
      const will = this.opts.will?.();
      this.client.options.will = will ? { topic: will.topic, payload: will.payload, qos: 1, retain: will.retain } : undefined;
      this.client.reconnect();
    }, this.backoff.next());
  }

  private onError(err: Error): void {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number' && FATAL_CONNACK.has(code) && !this.closing) {
      this.closing = true;
      clearTimeout(this.reconnectTimer);
      this.emit(
        'error',
        new TetherError('CONNECT_REFUSED', `the broker refused the connection: ${err.message}`, undefined, { returnCode: code }),
      );
      this.client?.end(true);
      this.failPublishes(new TetherError('CLOSED', 'connection refused'));
      for (const sub of this.subs.values())
        for (const w of sub.waiters.splice(0)) w.reject(new TetherError('CONNECT_REFUSED', err.message));
      this.setState('closed');
    }
    // Any other error is followed by 'close', which schedules the reconnect.
  }

  private failPublishes(err: Error): void {
    const all = [...this.inflight, ...this.queue.splice(0)];
    this.inflight.clear();
    for (const p of all) p.reject(err);
  }

  private pump(): void {
    const client = this.client;
    while (client && this.current === 'online' && this.inflight.size < this.window && this.queue.length > 0) {
      const p = this.queue.shift()!;
      this.inflight.add(p);
      client.publish(p.topic, p.payload, { qos: 1, retain: p.retain }, (err) => {
        // Settled already if the connection it was sent on is gone.
        if (!this.inflight.delete(p)) return;
        if (err) p.reject(new TetherError('DISCONNECTED', err.message));
        else p.resolve();
        this.pump();
      });
      // Online, mqtt.js allocates the id synchronously inside publish().
      p.messageId = client.getLastMessageId();
    }
  }
}
