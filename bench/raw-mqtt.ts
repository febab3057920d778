/** Raw mqtt.js clients for the baselines: TCP_NODELAY on, handlers attached before CONNECT. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

let counter = 0;

export async function connectRaw(
  url: string,
  onMessage?: (topic: string, payload: Buffer) => void,
  opts: IClientOptions = {},
): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId: `raw-${process.pid}-${++counter}`,
    reconnectPeriod: 0,
    connectTimeout: 20_000,
    keepalive: 60,
    ...opts,
  });
  if (onMessage) client.on('message', onMessage);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      // Neither mqtt.js nor Aedes sets TCP_NODELAY (Nagle: 33-47 ms QoS 0 maxima on loopback without it).
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      resolve();
    });
    client.once('error', reject);
  });
  client.on('error', () => {});
  return client;
}

/**
 * QoS 1 publishing with a bounded in-flight window: mqtt.js' message-id allocator wraps at
 * 65,535 without checking ids still in flight.
 */
export class WindowedPublisher {
  private inflight = 0;
  private waiters: (() => void)[] = [];
  acked = 0;

  constructor(
    readonly client: MqttClient,
    readonly window = 1000,
  ) {}

  async publish(topic: string, payload: string | Buffer): Promise<void> {
    while (this.inflight >= this.window) await new Promise<void>((r) => this.waiters.push(r));
    this.inflight++;
    this.client.publish(topic, payload, { qos: 1 }, (err) => {
      this.inflight--;
      if (!err) this.acked++;
      this.waiters.shift()?.();
    });
  }

  async drained(): Promise<void> {
    while (this.inflight > 0) await new Promise((r) => setTimeout(r, 2));
  }
}

export async function endAll(clients: MqttClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
}
