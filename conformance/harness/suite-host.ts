/**
 * The suite as broker and host, for the agent, client and device profiles: the reference embedded
 * Tether on ephemeral ports, plus a recorder of what the implementation under test sends (CONNECT,
 * SUBSCRIBE, PUBLISH, taken from the broker's public hooks) and fault injection: dropping one of its
 * publishes, holding back or duplicating deliveries to it, publishing crafted messages as the host,
 * and restarting the broker and host.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Client } from 'aedes';
import { startTether, type Tether } from '../../broker/embedded.ts';
import type { Limits } from '../../schemas/src/index.ts';
import { unchecked } from '../../protocol/topics.ts';
import { parseObject, type ObservedPayload } from '../kit/observed.ts';

/** The fields of a CONNECT packet the recorder reads (Aedes' parsed packet). */
interface ConnectFields {
  clientId?: string;
  username?: string;
  clean?: boolean;
  keepalive?: number;
  protocolVersion?: number;
  will?: { topic: string; payload?: Buffer | string; qos: number; retain?: boolean };
}

export interface Recorded {
  kind: 'connect' | 'subscribe' | 'publish' | 'deliver';
  at: number;
  clientId: string;
  principal?: string;
  topic?: string;
  payload?: Buffer;
  json?: ObservedPayload;
  qos?: number;
  retain?: boolean;
  connect?: {
    clean: boolean;
    keepalive: number;
    protocolVersion: number;
    username?: string;
    will?: { topic: string; payload: Buffer; qos: number; retain: boolean };
  };
}

export type ForwardRule = (principal: string | undefined, topic: string, payload: Buffer) => 'pass' | 'drop' | 'hold';
export type PublishRule = (principal: string | undefined, topic: string, payload: Buffer, fromHost: boolean) => 'pass' | 'drop' | 'hold';

export interface Held {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/** Where a dropped or held publish goes instead: a topic outside the map that nobody reads. */
const SINK = unchecked('_conformance', 'dropped');

export class SuiteHost {
  tether!: Tether;
  readonly log: Recorded[] = [];
  private readonly watched = new Set<string>();
  private readonly principals = new WeakMap<Client, string | undefined>();
  private forwardRules: { rule: ForwardRule; held: Held[] }[] = [];
  private publishRules: { rule: PublishRule; held: Held[] }[] = [];
  private readonly allowOnce = new Map<string, number>();
  readonly held: Held[] = [];
  private port = 0;

  private constructor(
    readonly dataDir: string,
    readonly limits: Partial<Limits>,
    private readonly ownDir: boolean,
  ) {}

  static async start(opts: { limits?: Partial<Limits>; dataDir?: string } = {}): Promise<SuiteHost> {
    const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tether-suite-'));
    const h = new SuiteHost(dir, opts.limits ?? {}, !opts.dataDir);
    await h.boot();
    return h;
  }

  get url(): string {
    return this.tether.mqttUrl;
  }

  get hostId(): string {
    return this.tether.host.hostId;
  }

  /** Starts to record what connections of `principal` send and receive. */
  watch(principal: string): void {
    this.watched.add(principal);
  }

  of(principal: string, kind?: Recorded['kind']): Recorded[] {
    return this.log.filter((r) => r.principal === principal && (!kind || r.kind === kind));
  }

  /** Deliveries to a watched principal: drop, hold (into `held`, for release later) or pass. Returns a remover. */
  onForward(rule: ForwardRule, held: Held[] = this.held): () => void {
    const entry = { rule, held };
    this.forwardRules.push(entry);
    return () => (this.forwardRules = this.forwardRules.filter((r) => r !== entry));
  }

  /** Publishes (by anyone, the host included): drop, hold (into `held`) or pass. Returns a remover. */
  onPublish(rule: PublishRule, held: Held[] = this.held): () => void {
    const entry = { rule, held };
    this.publishRules.push(entry);
    return () => (this.publishRules = this.publishRules.filter((r) => r !== entry));
  }

  /** Publishes as the broker itself (the host's voice), bypassing the ACL; delivered past the forward rules once. */
  inject(topic: string, payload: string | Buffer | object, retain = false): Promise<void> {
    const body = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const key = `${topic}\u0000${body.toString('base64')}`;
    this.allowOnce.set(key, (this.allowOnce.get(key) ?? 0) + 64);
    return new Promise((resolve, reject) =>
      this.tether.broker.publish({ cmd: 'publish', topic, payload: body, qos: 1, retain, dup: false } as never, (err?: Error) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** Delivers held messages (in the order they were held, or as given). */
  async release(which: Held[] = this.held.splice(0)): Promise<void> {
    for (const h of which) await this.inject(h.topic, h.payload, h.retain);
  }

  private install(): void {
    const broker = this.tether.broker;
    const preConnect = broker.preConnect.bind(broker);
    broker.preConnect = (client, packet, done) => {
      const p = packet as unknown as ConnectFields;
      const username = p.username;
      this.principals.set(client, username);
      if (username && this.watched.has(username)) {
        this.log.push({
          kind: 'connect',
          at: performance.now(),
          clientId: String(p.clientId ?? ''),
          principal: username,
          connect: {
            clean: Boolean(p.clean),
            keepalive: Number(p.keepalive ?? 0),
            protocolVersion: Number(p.protocolVersion ?? 0),
            username,
            will: p.will
              ? { topic: p.will.topic, payload: Buffer.from(p.will.payload ?? ''), qos: p.will.qos, retain: Boolean(p.will.retain) }
              : undefined,
          },
        });
      }
      preConnect(client, packet, done);
    };
    const authorizePublish = broker.authorizePublish.bind(broker);
    broker.authorizePublish = (client, packet, done) =>
      authorizePublish(client, packet, (err) => {
        if (!err && client) {
          const principal = this.principals.get(client);
          const fromHost = Boolean(client.id?.startsWith('tether-host-'));
          const payload = Buffer.from(packet.payload as Buffer);
          if (principal && this.watched.has(principal)) {
            this.log.push({
              kind: 'publish',
              at: performance.now(),
              clientId: client.id,
              principal,
              topic: packet.topic,
              payload,
              json: parseObject(payload),
              qos: packet.qos,
              retain: packet.retain,
            });
          }
          for (const { rule, held } of this.publishRules) {
            const verdict = rule(principal, packet.topic, payload, fromHost);
            if (verdict === 'pass') continue;
            if (verdict === 'hold') held.push({ topic: packet.topic, payload, retain: packet.retain });
            (packet as { topic: string }).topic = SINK;
            (packet as { retain: boolean }).retain = false;
            break;
          }
        }
        done(err);
      });
    const authorizeSubscribe = broker.authorizeSubscribe.bind(broker);
    broker.authorizeSubscribe = (client, sub, done) => {
      const principal = this.principals.get(client);
      if (principal && this.watched.has(principal))
        this.log.push({ kind: 'subscribe', at: performance.now(), clientId: client.id, principal, topic: sub.topic, qos: sub.qos });
      authorizeSubscribe(client, sub, done);
    };
    const authorizeForward = broker.authorizeForward.bind(broker);
    broker.authorizeForward = (client, packet) => {
      const out = authorizeForward(client, packet);
      if (!out) return out;
      const principal = this.principals.get(client);
      if (!principal || !this.watched.has(principal) || packet.topic === SINK) return out;
      const payload = Buffer.from(packet.payload as Buffer);
      const key = `${packet.topic}\u0000${payload.toString('base64')}`;
      const allowed = this.allowOnce.get(key);
      if (allowed) {
        if (allowed <= 1) this.allowOnce.delete(key);
        else this.allowOnce.set(key, allowed - 1);
      } else {
        for (const { rule, held } of this.forwardRules) {
          const verdict = rule(principal, packet.topic, payload);
          if (verdict === 'pass') continue;
          if (verdict === 'hold') held.push({ topic: packet.topic, payload, retain: false });
          return null;
        }
      }
      this.log.push({
        kind: 'deliver',
        at: performance.now(),
        clientId: client.id,
        principal,
        topic: packet.topic,
        payload,
        json: parseObject(payload),
      });
      return out;
    };
  }

  private async boot(): Promise<void> {
    this.tether = await startTether({
      mqttPort: this.port,
      httpPort: 0,
      dataDir: this.dataDir,
      logger: pino({ level: process.env.TETHER_SUITE_LOG ?? 'silent' }),
      synchronous: 'NORMAL',
      limits: this.limits,
      // The fault rules see the host's publishes in authorizePublish: the host must be a client.
      hostLink: 'mqtt',
    });
    this.port = Number(new URL(this.tether.mqttUrl).port);
    this.install();
  }

  /** Stops broker and host (the broker's in-memory sessions and retained messages are lost) and starts them again on the same port. */
  async restart(downMs = 300): Promise<void> {
    await this.tether.close();
    await new Promise((r) => setTimeout(r, downMs));
    for (let attempt = 0; ; attempt++) {
      try {
        await this.boot();
        return;
      } catch (err) {
        if (attempt > 20) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async close(): Promise<void> {
    await this.tether.close().catch(() => {});
    if (this.ownDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
