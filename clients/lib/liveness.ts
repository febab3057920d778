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
import type { WillMessage } from './mqtt-transport.ts';

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

/** The latest state per key by epoch; a state with a lower epoch than one seen is ignored. */
export class EpochBoard<T extends { epoch: number }> extends Emitter<{ change: (key: string, value: T | undefined) => void }> {
  private readonly latest = new Map<string, T>();

  /** Returns false when the state is stale (lower epoch than the highest seen for that key). */
  offer(key: string, value: T): boolean {
    const cur = this.latest.get(key);
    if (cur && value.epoch < cur.epoch) return false;
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

export class Liveness {
  private epochValue = 0;
  private agentStatus: Exclude<AgentStatus, 'offline'> = 'online';
  private readonly presences = new Map<string, PresenceStatus>();

  constructor(
    private readonly principal: string,
    private readonly device: string,
    private readonly agent?: AgentCard,
    private readonly presenceWill?: string,
  ) {}

  get epoch(): number {
    return this.epochValue;
  }

  get isAgent(): boolean {
    return this.agent !== undefined;
  }

  /** Called before each connection attempt: a new epoch, and the Will carrying it [MQTT-WILL-2]. */
  nextConnection(): WillMessage | undefined {
    this.epochValue = Math.max(this.epochValue + 1, Date.now());
    if (this.agent) return { topic: topics.agentState(this.principal), payload: this.agentState('offline'), retain: true };
    if (this.presenceWill) return { topic: this.presenceTopic(this.presenceWill), payload: this.presenceState('offline'), retain: true };
    return undefined;
  }

  setAgentStatus(status: Exclude<AgentStatus, 'offline'>): RetainedMessage | undefined {
    this.agentStatus = status;
    return this.agent ? { topic: topics.agentState(this.principal), payload: this.agentState(status), retain: true } : undefined;
  }

  setPresence(sid: string, status: PresenceStatus): RetainedMessage {
    if (status === 'offline') this.presences.delete(sid);
    else this.presences.set(sid, status);
    return { topic: this.presenceTopic(sid), payload: this.presenceState(status), retain: true };
  }

  forgetPresence(sid: string): void {
    this.presences.delete(sid);
  }

  /** Births for a new connection: agent state and every presence set, with the new epoch. */
  births(): RetainedMessage[] {
    const out: RetainedMessage[] = [];
    if (this.agent) out.push({ topic: topics.agentState(this.principal), payload: this.agentState(this.agentStatus), retain: true });
    for (const [sid, status] of this.presences) out.push({ topic: this.presenceTopic(sid), payload: this.presenceState(status), retain: true });
    return out;
  }

  /** What a clean shutdown publishes instead of the Will. */
  farewells(): RetainedMessage[] {
    const out: RetainedMessage[] = [];
    if (this.agent) out.push({ topic: topics.agentState(this.principal), payload: this.agentState('offline'), retain: true });
    for (const sid of this.presences.keys()) out.push({ topic: this.presenceTopic(sid), payload: this.presenceState('offline'), retain: true });
    return out;
  }

  private presenceTopic(sid: string): string {
    return topics.presence(sid, this.principal, this.device);
  }

  private agentState(status: AgentStatus): string {
    return JSON.stringify({ v: 1, agentId: this.principal, status, epoch: this.epochValue, time: new Date().toISOString(), card: this.agent });
  }

  private presenceState(status: PresenceStatus): string {
    return JSON.stringify({ v: 1, status, epoch: this.epochValue, time: new Date().toISOString() });
  }
}
