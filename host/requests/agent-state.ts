/**
 * Agent states (retained on tether/v1/agents/{agentId}/state, published by the agent) are kept in
 * the store so the host can republish them [HOST-SNAPSHOT-3]; the store keeps the highest epoch
 * [HOST-LIVE-4]. Nothing is answered: an invalid state is ignored.
 */
import type { Logger } from 'pino';
import { check } from '../../protocol/validate.ts';
import type { AgentState } from '../../schemas/src/index.ts';
import type { KnownAgents } from '../sequencer/known-agents.ts';
import type { Store } from '../store/store.ts';

export class AgentStateIntake {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly agents?: KnownAgents,
  ) {}

  async take(agentId: string, payload: Buffer): Promise<void> {
    if (payload.length === 0) return;
    let state: unknown;
    try {
      state = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const valid = check<AgentState>('AgentState', state);
    if (!valid.ok || valid.value.agentId !== agentId) {
      this.log.debug({ agentId }, 'ignored invalid agent state');
      return;
    }
    this.agents?.add(agentId);
    await this.store.putAgentState(agentId, payload.toString('utf8'), valid.value.epoch);
  }
}
