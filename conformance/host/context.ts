/**
 * The host profile's view of a target: the broker in front of the host, the principals the suite may
 * connect as, and the host found through its retained birth. Each check gets a fresh HostCheckContext
 * with its own peers and random session ids; everything it opens is closed when the check ends.
 */
import { randomBytes } from 'node:crypto';
import { filters, parseTopic } from '../../protocol/topics.ts';
import type { CommandDataOf, CommandType } from '../../schemas/src/index.ts';
import { BrokerCheckContext, BrokerTarget, type BrokerTargetOptions } from '../broker/context.ts';
import { castSession, type Cast, type CastOptions, type Scene } from '../kit/cast.ts';
import type { Observed, ObservedEvent, ObservedPayload } from '../kit/observed.ts';
import type { HostState } from '../../schemas/src/index.ts';
import { inFlight } from '../kit/waits.ts';
import { WirePeer, type ObservedTypes, type Peer } from '../wire-peer.ts';

export type { Principal } from '../broker/context.ts';

export interface HostTargetOptions extends BrokerTargetOptions {
  hostId?: string;
}

export type ObservedHostState = Observed<HostState>;

export class HostTarget extends BrokerTarget<HostTargetOptions> {
  hostState?: ObservedHostState;
  discoveryError?: string;

  get limits(): NonNullable<ObservedHostState['limits']> {
    return this.hostState?.limits ?? {};
  }

  get features(): string[] {
    const f = this.hostState?.features;
    return Array.isArray(f) ? f : [];
  }

  /** Finds the host through the retained births on the host state topics. */
  async discover(waitMs = 1500): Promise<void> {
    const name = this.opts.users?.[0] ?? { name: `observer-${randomBytes(3).toString('hex')}` };
    let peer: Peer | undefined;
    try {
      peer = await WirePeer.connect<ObservedTypes>(this.opts.url, name.name, { ...this.opts.mqtt, password: name.password });
      await peer.subscribe(filters.hostState());
      // Retained births arrive with the SUBACK; the wait collects them all.
      await inFlight(waitMs);
      const states = peer.log.filter((m) => parseTopic(m.topic)?.kind === 'hostState' && m.json).map((m) => m.json as ObservedHostState);
      const latest = new Map<string, ObservedHostState>();
      for (const s of states) latest.set(String(s.hostId), s);
      const online = [...latest.values()].filter((s) => s.status === 'online' && (!this.opts.hostId || s.hostId === this.opts.hostId));
      if (online.length === 0) {
        const seen = [...latest.values()].map((s) => `${s.hostId}:${s.status}`).join(', ') || 'nothing';
        this.discoveryError = `no online host state on ${filters.hostState(this.opts.hostId)} within ${waitMs} ms (seen: ${seen})`;
      } else if (online.length > 1) {
        this.discoveryError = `several online hosts (${online.map((s) => s.hostId).join(', ')}): choose one with --host-id`;
      } else {
        this.hostState = online[0];
      }
    } catch (err) {
      this.discoveryError = `cannot connect to ${this.opts.url} as ${name.name}: ${(err as Error).message}`;
    } finally {
      await peer?.close().catch(() => {});
    }
  }
}

export class HostCheckContext extends BrokerCheckContext<HostTarget> {
  private sidCounter = 0;

  get host(): ObservedHostState {
    return this.target.hostState!;
  }

  get hostId(): string {
    return String(this.host.hostId);
  }

  get limits(): HostTarget['limits'] {
    return this.target.limits;
  }

  /** A fresh random session id (96 random bits). */
  sid(): string {
    return `cf-${randomBytes(12).toString('hex')}-${++this.sidCounter}`;
  }

  /** Creates a session owned by `owner`; a refusal makes the check not testable. */
  async session(owner: Peer, participants: { principal: string; role: string }[] = [], title = 'conformance'): Promise<string> {
    const sid = this.sid();
    const reply = await this.t.need('session.create', () => owner.command(sid, 'session.create', { title, participants }));
    if (reply.type !== 'ack') this.t.notTestable(`session.create was refused: ${JSON.stringify(reply.data)}`);
    return sid;
  }

  /** Connects the cast (kit/cast.ts) and creates its session. */
  cast<C extends Cast>(cast: C, opts: CastOptions = {}): Promise<Scene<C>> {
    return castSession(this, cast, opts);
  }

  /** Subscribes to a session's events and state topics. */
  async follow(peer: Peer, sid: string): Promise<void> {
    await this.subscribe(peer, filters.events(sid));
    await this.subscribe(peer, filters.sessionState(sid));
  }

  /** Sends a command that must be accepted (a prerequisite of the check); returns its seq. */
  async ok<K extends CommandType>(peer: Peer, sid: string, type: K, data: CommandDataOf<K>, opts: { id?: string } = {}): Promise<number> {
    const reply = await this.t.need(`${type}`, () => peer.command(sid, type, data, opts));
    if (reply.type !== 'ack') this.t.notTestable(`${type} by ${peer.principal} was refused: ${JSON.stringify(reply.data)}`);
    return reply.data!.seq as number;
  }

  /** The whole log, uncompacted, paged to the head (a prerequisite: failures make the check not testable). */
  async log(peer: Peer, sid: string, after = 0): Promise<ObservedEvent[]> {
    const events: ObservedEvent[] = [];
    let cursor = after;
    for (let i = 0; i < 1000; i++) {
      const page = await this.t.need('history.get', () => peer.request('history.get', { sid, after: cursor, compact: false }));
      if (page.type !== 'history.page') this.t.notTestable(`history.get was refused: ${JSON.stringify(page.data)}`);
      events.push(...page.data!.events!);
      if (!page.data!.more || Number(page.data!.to) <= cursor) return events;
      cursor = page.data!.to!;
    }
    return events;
  }

  /** Waits until `peer` received a live event with this seq on the session's events topic. */
  async waitSeq(peer: Peer, sid: string, seq: number, what = `event seq ${seq}`): Promise<ObservedEvent> {
    return peer.waitForEvent(sid, (e) => e.seq === seq, what);
  }

  /** The JSON of the latest message seen on a topic. */
  lastJson(peer: Peer, topic: string): ObservedPayload | undefined {
    return this.last(peer, topic)?.json;
  }
}
