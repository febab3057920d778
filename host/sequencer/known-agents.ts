/**
 * The principals that have published an agent card: an agent takes part in a session in any role
 * (an agent that creates a session is its owner [HOST-CREATE-4]), and still gets inbox items for
 * the work in it [INBOX-ITEM-4]. The broker ACL lets only `agentId` publish its own state topic, so a
 * card is proof enough. Loaded from the store at start, grown as cards arrive; never shrunk (an
 * agent that is offline is still an agent).
 */
import type { Store } from '../store/store.ts';

export class KnownAgents {
  private readonly ids = new Set<string>();

  async load(store: Store): Promise<void> {
    for (const a of await store.agentStates()) this.ids.add(a.agentId);
  }

  add(agentId: string): void {
    this.ids.add(agentId);
  }

  has(principal: string): boolean {
    return this.ids.has(principal);
  }
}
