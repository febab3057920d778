/**
 * The host's own MQTT connection (any 3.1.1 broker): an mqtt.js client with a persistent session
 * and a retained Will that says the host went offline.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { coalesceWrites } from '../../common/coalesce.ts';
import type { BrokerLink, MessageHandler, PublishCallback } from './link.ts';

export interface MqttLinkOptions {
  brokerUrl: string;
  clientId: string;
  /** Extra mqtt.js options (credentials, TLS); they override the defaults but not the Will. */
  mqtt?: IClientOptions;
  willTopic: string;
  /** The Will's payload, read at the first connect and again after each `onClose` resolves. */
  will: () => string;
  /** Every (re)connect. */
  onConnect: () => void;
  /** A lost connection; a returned promise resolves when the Will must be read again. */
  onClose: () => Promise<void> | undefined;
  onError: (err: Error) => void;
}

export class MqttLink implements BrokerLink {
  readonly reordersRetained = false;
  private client?: MqttClient;

  constructor(private readonly opts: MqttLinkOptions) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  publish(topic: string, payload: string | Buffer, opts: { qos: 1; retain: boolean }, cb: PublishCallback): void {
    if (!this.client) return cb(new Error('not connected yet'));
    this.client.publish(topic, payload, opts, cb);
  }

  async open(filters: string[], onMessage: MessageHandler): Promise<void> {
    const options: IClientOptions = {
      clientId: this.opts.clientId,
      clean: false,
      reconnectPeriod: 500,
      keepalive: 30,
      ...this.opts.mqtt,
      will: this.willOptions(),
    };
    const client = mqtt.connect(this.opts.brokerUrl, options);
    this.client = client;
    // Handlers before CONNECT: a broker may deliver queued commands together with the CONNACK.
    client.on('message', onMessage);
    client.on('connect', () => {
      const stream = client.stream as Socket;
      if (typeof stream.setNoDelay === 'function') {
        stream.setNoDelay(true);
        coalesceWrites(stream);
      }
      this.opts.onConnect();
    });
    client.on('close', () => {
      const renewed = this.opts.onClose();
      if (renewed) void renewed.then(() => (client.options.will = this.willOptions()));
    });
    client.on('error', this.opts.onError);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      client.once('connect', () => {
        client.off('error', onError);
        resolve();
      });
      client.once('error', onError);
    });
    await client.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])));
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
  }

  private willOptions(): NonNullable<IClientOptions['will']> {
    return { topic: this.opts.willTopic, payload: Buffer.from(this.opts.will()), qos: 1, retain: true };
  }
}
