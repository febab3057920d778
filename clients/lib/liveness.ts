/**
 * Liveness with epochs. Every connection gets a new epoch (never lower than the last one, and at
 * least the wall clock in ms, so it also grows across restarts). The Will of a connection carries
 * its epoch; births are republished with it on every connect. Observers keep, per key, the state
 * with the highest epoch and ignore older ones: after a fast reconnect Aedes publishes the Will of
 * the connection the new one took over, and that stale "offline" must not win.
 */
import type { AgentState, HostState } from '../../schemas/src/index.ts';
import { topics } from '../../protocol/topics.ts';
import { Emitter } from './emitter.ts';
import { TetherError } from './errors.ts';
import type { WillMessage } from './mqtt-transport.ts';
import type { Transport } from './transport.ts';

export type AgentCard = AgentState['card'];
export type AgentStatus = AgentState['status'];
export type PresenceStatus = 'online' | 'away' | 'offline';

export interface PresenceState {
  v: 1;
  status: PresenceStatus;
  epoch: number;
  time: string;
}

export interface RetainedMessage {
  topic: string;
  payload: string;
  retain: true;
}

/**
 * The latest liveness state per key. A state with a lower epoch than the highest seen is ignored
 * [LIVE-EPOCH-2], and so is a state other than offline with the epoch of an offline state seen:
 * that connection is dead, whatever arrives late from it [LIVE-EPOCH-3].
 */
export class EpochBoard<T extends { epoch: number; status?: string }> extends Emitter<{
  change: (key: string, value: T | undefined) => void;
}> {
  private readonly latest = new Map<string, T>();
  private readonly deadEpoch = new Map<string, number>();

  /** Returns false when the state is stale. */
  offer(key: string, value: T): boolean {
    const cur = this.latest.get(key);
    if (cur && value.epoch < cur.epoch) return false;
    if (value.status !== 'offline' && this.deadEpoch.get(key) === value.epoch) return false;
    if (value.status === 'offline') this.deadEpoch.set(key, value.epoch);
    this.latest.set(key, value);
    this.emit('change', key, value);
    return true;
  }

  /** A cleared retained message: no value any more [TOPIC-EMPTY-1]. */
  clear(key: string): void {
    if (this.latest.delete(key)) this.emit('change', key, undefined);
  }

  get(key: string): T | undefined {
    return this.latest.get(key);
  }

  entries(): [string, T][] {
    return [...this.latest.entries()];
  }
}

export type AgentDirectory = EpochBoard<AgentState>;
export type HostBoard = EpochBoard<HostState>;

/**
 * This client's own liveness: the epoch of each connection, the Will that carries it, births on
 * every connect, offline states on a clean close, and repairs of a stale Will.
 */
export class Liveness {
  private epochValue = 0;
  private bornEpoch = 0;
  private agentStatus: Exclude<AgentStatus, 'offline'> = 'online';
  private degradedReason?: string;
  private openRuns = 0;
  private readonly presences = new Map<string, PresenceStatus>();
  private transport?: Pick<Transport, 'publish' | 'subscribe' | 'state'>;

  constructor(
    private readonly principal: string,
    private readonly device: string,
    private readonly agent?: AgentCard,
    private readonly presenceWill?: string,
  ) {}

  attach(transport: Pick<Transport, 'publish' | 'subscribe' | 'state'>): void {
    this.transport = transport;
  }

  get epoch(): number {
    return this.epochValue;
  }

  get isAgent(): boolean {
    return this.agent !== undefined;
  }

  /** Topics to subscribe on every connection: an agent watches its own state [LIVE-REBIRTH-1]. */
  ownTopics(): string[] {
    return this.agent ? [topics.agentState(this.principal)] : [];
  }

  /** Called before each connection attempt: a new epoch, and the Will carrying it [LIVE-EPOCH-1, MQTT-WILL-2]. */
  nextConnection(): WillMessage | undefined {
    this.epochValue = Math.max(this.epochValue + 1, Date.now());
    if (this.agent) return { topic: topics.agentState(this.principal), payload: this.agentState('offline'), retain: true };
    if (this.presenceWill) return { topic: this.presenceTopic(this.presenceWill), payload: this.presenceState('offline'), retain: true };
    return undefined;
  }

  /** Online: births with the new epoch (agent state, every presence set) [AGENT-LIVE-1]. */
  announce(): void {
    const agent = this.agentBirth();
    if (agent) this.send(agent);
    for (const sid of this.presences.keys()) this.send(this.presenceBirth(sid)!);
    this.bornEpoch = this.epochValue;
  }

  /** A clean shutdown says offline itself, with the epoch of its birth [AGENT-LIVE-4, LIVE-PRESENCE-2]. */
  farewell(): Promise<unknown> {
    const out: Promise<void>[] = [];
    if (this.agent) out.push(this.publish(topics.agentState(this.principal), this.agentState('offline')));
    for (const sid of this.presences.keys()) out.push(this.publish(this.presenceTopic(sid), this.presenceState('offline')));
    return Promise.all(out.map((p) => p.catch(() => {})));
  }

  /** `degraded` needs a reason for people [AGENT-LIVE-6]; it holds until another status is set. */
  async setAgentStatus(status: Exclude<AgentStatus, 'offline'>, reason?: string): Promise<void> {
    if (!this.agent) throw new TetherError('INVALID_ARGUMENT', 'not an agent: give `agent` (the card) in the client options');
    this.agentStatus = status;
    this.degradedReason = status === 'degraded' ? (reason ?? 'degraded').slice(0, 200) : undefined;
    if (this.transport?.state === 'online') await this.publish(topics.agentState(this.principal), this.agentState(status));
  }

  /** Busy while a run this agent opened is open [AGENT-LIVE-3]. */
  runOpened(): void {
    if (this.agent && this.openRuns++ === 0 && this.agentStatus !== 'degraded') void this.setAgentStatus('busy').catch(() => {});
  }

  runClosed(): void {
    if (this.agent && this.openRuns > 0 && --this.openRuns === 0 && this.agentStatus !== 'degraded')
      void this.setAgentStatus('online').catch(() => {});
  }

  async setPresence(sid: string, status: PresenceStatus): Promise<void> {
    if (status === 'online' && (this.agent || this.presenceWill !== sid)) {
      throw new TetherError(
        'INVALID_ARGUMENT',
        `online presence in ${sid} needs the connection's Will on it: connect with presenceWill: '${sid}' [LIVE-PRESENCE-1]`,
      );
    }
    if (status === 'offline') this.presences.delete(sid);
    else this.presences.set(sid, status);
    const topic = this.presenceTopic(sid);
    // Watch our own presence topic to repair a stale Will [LIVE-REBIRTH-2].
    if (status !== 'offline') await this.transport?.subscribe(topic).catch(() => {});
    if (this.transport?.state === 'online') await this.publish(topic, this.presenceState(status));
  }

  /** Forgets the presence of a session left; returns the topic to unsubscribe from. */
  forgetPresence(sid: string): string {
    this.presences.delete(sid);
    return this.presenceTopic(sid);
  }

  /**
   * A state on one of our own topics: one with a lower epoch than this connection's (the Will of a
   * connection the broker closed late, after our birth) is answered with the birth again
   * [LIVE-REBIRTH-1, LIVE-REBIRTH-2].
   */
  onOwnState(json: { epoch?: unknown } | undefined, sid?: string): void {
    const birth = sid === undefined ? this.agentBirth() : this.presenceBirth(sid);
    if (!birth || this.transport?.state !== 'online' || this.bornEpoch !== this.epochValue) return;
    if (json && typeof json.epoch === 'number' && json.epoch >= this.epochValue) return;
    this.send(birth);
  }

  isOwnDevice(principal: string, device: string): boolean {
    return principal === this.principal && device === this.device;
  }

  private agentBirth(): RetainedMessage | undefined {
    return this.agent ? { topic: topics.agentState(this.principal), payload: this.agentState(this.agentStatus), retain: true } : undefined;
  }

  private presenceBirth(sid: string): RetainedMessage | undefined {
    const status = this.presences.get(sid);
    return status ? { topic: this.presenceTopic(sid), payload: this.presenceState(status), retain: true } : undefined;
  }

  private send(m: RetainedMessage): void {
    void this.publish(m.topic, m.payload).catch(() => {});
  }

  private publish(topic: string, payload: string): Promise<void> {
    return this.transport ? this.transport.publish(topic, payload, { retain: true }) : Promise.resolve();
  }

  private presenceTopic(sid: string): string {
    return topics.presence(sid, this.principal, this.device);
  }

  private agentState(status: AgentStatus): string {
    const reason = status === 'degraded' ? { reason: this.degradedReason } : {};
    return JSON.stringify({
      v: 1,
      agentId: this.principal,
      status,
      ...reason,
      epoch: this.epochValue,
      time: new Date().toISOString(),
      card: this.agent,
    });
  }

  private presenceState(status: PresenceStatus): string {
    return JSON.stringify({ v: 1, status, epoch: this.epochValue, time: new Date().toISOString() });
  }
}
