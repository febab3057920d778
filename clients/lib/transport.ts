/**
 * What the client needs from an MQTT connection. MqttTransport is the real one; the interface is
 * public so an application (or a test) can wrap it: record traffic, inject duplicate, reordered or
 * lost deliveries, or run over another MQTT stack.
 */
import type { Emitter } from './emitter.ts';

/**
 * connecting: first connection attempt under way. online: connected and every subscription
 * acknowledged. reconnecting: the connection dropped; a new attempt follows after a backoff delay.
 * closed: closed by the application or refused for good (bad credentials).
 */
export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'closed';

export interface TransportEvents {
  state: (state: ConnectionState) => void;
  /** A message arrived; payload is the raw bytes (zero length = a cleared retained message). */
  message: (topic: string, payload: Uint8Array) => void;
  /** A subscription kept across reconnects was refused by the broker on a later connection. */
  refused: (filter: string) => void;
  /** A fatal problem (the connection was refused for good); state becomes closed. */
  error: (err: Error) => void;
}

export interface Transport extends Pick<Emitter<TransportEvents>, 'on' | 'off' | 'once'> {
  readonly state: ConnectionState;
  /** MQTT client identifier; the reply topic is tether/v1/replies/{principal}/{clientId}. */
  readonly clientId: string;
  /** Begins connecting (handlers are attached first) [MQTT-SESSION-2]. */
  start(): void;
  /**
   * Subscribes with QoS 1 now and on every later connection [MQTT-SESSION-3]. Resolves once the
   * broker granted it; rejects with TetherError SUBSCRIBE_REFUSED when the broker refused it.
   */
  subscribe(filter: string): Promise<void>;
  unsubscribe(filter: string): Promise<void>;
  /**
   * Publishes with QoS 1 on the current connection. Resolves on PUBACK; rejects with
   * DISCONNECTED when there is no connection or it drops first. Callers that need delivery
   * resend after the next 'online' (the command and request ledgers do).
   */
  publish(topic: string, payload: string, opts?: { retain?: boolean }): Promise<void>;
  /** Graceful close: DISCONNECT (so no Will is published), then closed. */
  close(): Promise<void>;
}
