/**
 * How the host reaches its broker. Over MQTT (`tether host --broker URL`: any 3.1.1 broker) it is
 * an mqtt.js client with a Will (mqtt-link.ts); in the embedded deployment it can attach to the
 * Aedes instance in the same process instead (in-process-link.ts). Clients cannot tell the two
 * apart: the same topics, retain flags and QoS reach them.
 */
export type PublishCallback = (err?: Error) => void;

/** What the outbox needs: mqtt.js' MqttClient has this shape. */
export interface Publisher {
  publish(topic: string, payload: string | Buffer, opts: { qos: 1; retain: boolean }, cb: PublishCallback): unknown;
}

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface BrokerLink extends Publisher {
  readonly connected: boolean;
  /** Publishes may overtake each other around a retained one, so the outbox must hold them back (see Outbox). */
  readonly reordersRetained: boolean;
  /** Connects where there is a connection to make, and subscribes to `filters` (QoS 1). */
  open(filters: string[], onMessage: MessageHandler): Promise<void>;
  close(): Promise<void>;
}
