/**
 * The embedded reference deployment: an Aedes broker (MQTT/TCP and MQTT over WebSocket at /mqtt),
 * /healthz and /metrics, and the session host connected to that broker, in one process.
 */
import { Aedes, type Client } from 'aedes';
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer, createWebSocketStream } from 'ws';
import pino, { type Logger } from 'pino';
import type { Limits } from '../schemas/src/index.ts';
import {
  Authenticator,
  isLoopback,
  mayPublish,
  mayReceive,
  maySubscribe,
  type AuthConfig,
  type Identity,
  type Membership,
} from './auth.ts';
import { createMetrics } from '../host/metrics.ts';
import { coalesceWrites } from '../common/coalesce.ts';
import { SessionHost } from '../host/host.ts';
import { createMq } from './mq.ts';
import { LivePersistence } from './persistence.ts';
import { SqliteStore } from '../host/store/sqlite.ts';
import { webAppHandler, type WebAuth } from './web-app.ts';
import type { Store } from '../host/store/store.ts';

export interface TetherOptions {
  /** Bind address; anything but loopback requires auth [SEC-AUTH-3]. Default 127.0.0.1. */
  bind?: string;
  /** MQTT TCP port (0 = ephemeral). Default 1883. */
  mqttPort?: number;
  /** HTTP port for WebSocket (/mqtt), /healthz, /metrics (0 = ephemeral). Default 8083. */
  httpPort?: number;
  dataDir?: string;
  tls?: { cert: string; key: string };
  auth?: AuthConfig;
  limits?: Partial<Limits>;
  hostId?: string;
  logger?: Logger;
  logLevel?: string;
  synchronous?: 'FULL' | 'NORMAL';
  /** Use this store instead of SQLite in dataDir. */
  store?: Store;
  /**
   * How the host reaches the broker: 'in-process' (default) attaches to the Aedes instance directly;
   * 'mqtt' connects over loopback MQTT like an external host (with its Will), as `tether host` does.
   */
  hostLink?: 'in-process' | 'mqtt';
  /** MiB of recent events the host keeps in memory for history pages (default 64; 0: off). */
  historyCacheMiB?: number;
  /** Serve the web app at `/` (default true). */
  webApp?: boolean;
}

export interface Tether {
  mqttUrl: string;
  wsUrl: string;
  httpUrl: string;
  host: SessionHost;
  broker: Aedes;
  store: Store;
  close(): Promise<void>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const listen = (server: net.Server, port: number, bind: string) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });

export async function startTether(options: TetherOptions = {}): Promise<Tether> {
  const bind = options.bind ?? '127.0.0.1';
  const logger = options.logger ?? pino({ level: options.logLevel ?? process.env.TETHER_LOG_LEVEL ?? 'info' });
  const authConfig = options.auth ?? {};
  const loopbackOnly = isLoopback(bind) || bind === 'localhost';
  const auth = await Authenticator.create(
    authConfig,
    loopbackOnly && !authConfig.usersFile && !authConfig.jwtSecret && !authConfig.jwtPublicKey,
  );
  if (!loopbackOnly && !auth.configured) {
    throw new ConfigError(
      `refusing to listen on ${bind} without authentication: give --users FILE or --jwt-secret/--jwt-public-key [SEC-AUTH-3]`,
    );
  }
  const metrics = createMetrics();
  const store = options.store ?? new SqliteStore(join(options.dataDir ?? 'data', 'tether.db'), { synchronous: options.synchronous });

  const identities = new WeakMap<Client, Identity>();
  const clientOwners = new Map<string, string>();
  const expiries = new WeakMap<Client, NodeJS.Timeout>();
  let host: SessionHost | undefined;
  const members: Membership = {
    isParticipant: (sid, p) => (host ? host.isParticipant(sid, p) : Promise.resolve(false)),
    knownParticipant: (sid, p) => host?.knownParticipant(sid, p),
  };

  // A stack-safe emitter: the stock one overflows the stack with a few thousand queued deliveries.
  // A persistence that delivers a QoS 1 message with no queued copy instead of dropping the connection.
  const persistence = new LivePersistence();
  const broker = await Aedes.createBroker({
    id: `tether-${options.hostId ?? 'main'}`,
    drainTimeout: 30_000,
    mq: createMq(),
    persistence: persistence as never,
  });
  const inProcessHost = (options.hostLink ?? 'in-process') === 'in-process';
  const hostClientId = `tether-host-${options.hostId ?? 'main'}`;
  broker.authenticate = (client, username, password, done) => {
    // The host is attached in this process: nobody may connect as it [HOST-EMBED-2].
    if (inProcessHost && client.id === hostClientId) {
      return done(
        Object.assign(new Error(`client id ${hostClientId} is reserved for the embedded host`), { returnCode: 2 as const }),
        false,
      );
    }
    const remote = (client.req as http.IncomingMessage | undefined)?.socket?.remoteAddress ?? (client.conn as net.Socket).remoteAddress;
    auth.authenticate(username, password, remote).then(
      (id) => {
        if (!id) {
          const err = Object.assign(new Error('bad credentials'), { returnCode: 4 as const });
          return done(err, false);
        }
        // A client id belongs to one principal while its session lives on the broker [SEC-CLIENTID-1].
        const owner = clientOwners.get(client.id);
        if (id.principal && owner !== undefined && owner !== id.principal) {
          return done(Object.assign(new Error(`client id ${client.id} belongs to another principal`), { returnCode: 5 as const }), false);
        }
        if (id.principal) clientOwners.set(client.id, id.principal);
        identities.set(client, id);
        // A connection opened with a token ends when the token does [SEC-JWT-5].
        if (id.expiresAt) {
          const timer = setTimeout(() => client.close(), Math.max(0, Math.min(id.expiresAt - Date.now(), 2 ** 31 - 1)));
          timer.unref();
          expiries.set(client, timer);
        }
        done(null, true);
      },
      (err) => done(Object.assign(err as Error, { returnCode: 3 as const }), false),
    );
  };
  broker.authorizePublish = (client, packet, done) => {
    if (!client) return done(null);
    const id = identities.get(client);
    if (!id) return done(new Error('not authenticated'));
    mayPublish(id, packet.topic, members).then(
      (ok) => done(ok ? null : new Error(`[SEC-ACL-1] ${id.principal ?? 'observer'} may not publish on ${packet.topic}`)),
      (err) => done(err as Error),
    );
  };
  broker.authorizeSubscribe = (client, sub, done) => {
    const id = identities.get(client);
    if (!id) return done(new Error('not authenticated'), null);
    maySubscribe(id, sub.topic, members).then(
      (ok) => {
        if (!ok) logger.debug({ principal: id.principal, topic: sub.topic }, '[SEC-ACL-2] subscription refused');
        done(null, ok ? sub : null);
      },
      (err) => done(err as Error, null),
    );
  };
  broker.authorizeForward = (client, packet) => {
    const id = identities.get(client);
    return id && mayReceive(id, packet.topic, members) ? packet : null;
  };
  broker.on('clientReady', () => metrics.clients.set(broker.connectedClients));
  broker.on('clientDisconnect', (client) => {
    clearTimeout(expiries.get(client));
    metrics.clients.set(broker.connectedClients);
  });
  broker.on('clientError', (client, err) => logger.debug({ client: client.id, err: err.message }, 'client error'));

  const mqttServer = options.tls
    ? tls.createServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) }, (s) => {
        s.setNoDelay(true);
        coalesceWrites(s);
        broker.handle(s);
      })
    : net.createServer((s) => {
        // Nagle adds tens of ms to small QoS 1 frames on loopback; coalescing keeps the syscalls few.
        s.setNoDelay(true);
        coalesceWrites(s);
        broker.handle(s);
      });
  const webAuth: WebAuth = !auth.configured
    ? 'anonymous'
    : authConfig.usersFile
      ? authConfig.jwtSecret || authConfig.jwtPublicKey
        ? 'password-or-token'
        : 'password'
      : 'token';
  const webApp = options.webApp === false ? undefined : webAppHandler(webAuth);
  const onHttp = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (webApp?.(req, res)) return;
    if (req.url === '/healthz') {
      const ok = Boolean(host) && !broker.closed;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ status: ok ? 'ok' : 'starting', hostId: host?.hostId, epoch: host?.epoch, clients: broker.connectedClients }),
      );
      return;
    }
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  };
  const httpServer = options.tls
    ? https.createServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) }, onHttp)
    : http.createServer(onHttp);
  const wss = new WebSocketServer({ server: httpServer, path: '/mqtt' });
  wss.on('connection', (socket, req) => {
    req.socket.setNoDelay(true);
    broker.handle(createWebSocketStream(socket) as never, req);
  });

  const mqttPort = await listen(mqttServer, options.mqttPort ?? 1883, bind);
  const httpPort = await listen(httpServer, options.httpPort ?? 8083, bind);
  const local = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  const scheme = options.tls ? 'mqtts' : 'mqtt';
  const mqttUrl = `${scheme}://${local.includes(':') ? `[${local}]` : local}:${mqttPort}`;
  const httpUrl = `${options.tls ? 'https' : 'http'}://${local.includes(':') ? `[${local}]` : local}:${httpPort}`;
  const wsUrl = `${options.tls ? 'wss' : 'ws'}://${local.includes(':') ? `[${local}]` : local}:${httpPort}/mqtt`;

  host = new SessionHost({
    brokerUrl: mqttUrl,
    broker: inProcessHost ? broker : undefined,
    historyCacheBytes: options.historyCacheMiB === undefined ? undefined : Math.round(options.historyCacheMiB * 1024 * 1024),
    store,
    hostId: options.hostId,
    limits: options.limits,
    logger,
    metrics,
    // The host's loopback connection to its own in-process broker: both ends are this process,
    // so the certificate (possibly issued for a public name) is not verified on it.
    mqtt: { username: auth.hostUsername, password: auth.hostSecret, rejectUnauthorized: !options.tls },
  });
  await host.start();
  logger.info({ mqttUrl, wsUrl, httpUrl, epoch: host.epoch }, 'tether is up');

  let closed = false;
  return {
    mqttUrl,
    wsUrl,
    httpUrl,
    host,
    broker,
    store,
    async close() {
      if (closed) return;
      closed = true;
      await host!.stop();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
      await Promise.all([
        new Promise<void>((r) => mqttServer.close(() => r())),
        new Promise<void>((r) => {
          httpServer.closeAllConnections?.();
          httpServer.close(() => r());
        }),
      ]);
      if (!options.store) await store.close();
    },
  };
}
