/** What a TetherClient can be configured with, and what it emits. */
import type { IClientOptions } from 'mqtt';
import type { Static } from 'typebox';
import type { HostState, Notification as NotificationSchema } from '../../schemas/src/index.ts';
import type { BackoffOptions } from './backoff.ts';
import type { AgentCard } from './liveness.ts';
import type { MqttTransportOptions } from './mqtt-transport.ts';
import type { SeqStore } from './seq-store.ts';
import type { SessionFeedOptions } from './session-feed.ts';
import type { ConnectionState, Transport } from './transport.ts';

export interface ClientOptions {
  /** Broker URL: mqtt://, mqtts://, ws:// or wss://. */
  url?: string;
  /** Who this client is: the MQTT username. */
  principal: string;
  /** Password or signed token (JWT), when the broker requires one. */
  password?: string;
  /**
   * A stable device name: the clientId becomes `{principal}.{device}` [MQTT-CLIENTID-3].
   * Default: a random one per client instance.
   */
  device?: string;
  /**
   * Long-lived client: clean session = 0 with the stable clientId, so the broker queues what
   * arrives while it is away [MQTT-SESSION-1]. Requires `device`. Default false.
   */
  persistent?: boolean;
  /** Override the clientId (must be in the ID alphabet). */
  clientId?: string;
  backoff?: BackoffOptions;
  keepaliveSec?: number;
  connectTimeoutMs?: number;
  /** Most QoS 1 publishes awaiting PUBACK (default 256). */
  publishWindow?: number;
  /** Extra mqtt.js options (TLS, WebSocket options). */
  mqtt?: IClientOptions;
  /**
   * Builds the transport from the options the client computed (default: new MqttTransport(o)).
   * Wrap the default to observe or disturb traffic.
   */
  transport?: (options: MqttTransportOptions) => Transport;
  /** Where each session's lastSeq is kept (default: in memory). */
  seqStore?: SeqStore;
  /** Timeout of requests (history pages, lists, inbox verbs), default 15000 ms. */
  requestTimeoutMs?: number;
  /** Resend a command unanswered for this long (default 10000 ms) [CLIENT-RETRY-3]. */
  commandResendMs?: number;
  /**
   * The host this client works with (several may share a broker). Only its state sets the limits
   * and, with a new epoch, makes the client resync and resend. Default: the first host seen online.
   */
  hostId?: string;
  /** Makes this client an agent: its retained card and status, with a Will marking it offline. */
  agent?: AgentCard;
  /** For a non-agent client: the session whose presence topic carries this connection's Will. */
  presenceWill?: string;
  /** Defaults for every join. */
  feed?: SessionFeedOptions;
  /** How long connect() waits for the first connection (default 15000 ms). */
  firstConnectTimeoutMs?: number;
}

/** A compact notification; its `k` is an open list (a kind this version does not know is passed on [VER-COMPAT-4]). */
export type Notification = Static<typeof NotificationSchema>;

export interface ClientEvents {
  /** Connection state changes: connecting, online, reconnecting, closed. */
  state: (state: ConnectionState) => void;
  /** A compact notification (after watchNotifications()). */
  notification: (n: Notification) => void;
  /** A host came online with a new epoch (or went offline). */
  host: (state: HostState) => void;
  /** A fatal error: the broker refused the connection for good. */
  error: (err: Error) => void;
}

/** The transport's options from the client's: the principal is the MQTT username [SEC-AUTH-1]. */
export function transportOptionsOf(opts: ClientOptions, clientId: string, will: MqttTransportOptions['will']): MqttTransportOptions {
  return {
    url: opts.url ?? '',
    username: opts.principal,
    password: opts.password,
    clientId,
    clean: !opts.persistent,
    keepaliveSec: opts.keepaliveSec,
    connectTimeoutMs: opts.connectTimeoutMs,
    backoff: opts.backoff,
    publishWindow: opts.publishWindow,
    will,
    mqtt: opts.mqtt,
  };
}
