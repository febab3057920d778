/**
 * Each agent's inbox doorbell, retained on tether/v1/agents/{agentId}/inbox: how many items wait.
 * It rings when items arrive or change, and again when a deferred item comes due.
 */
import type { Static } from 'typebox';
import type { Logger } from 'pino';
import { topics } from '../../protocol/topics.ts';
import type { InboxDoorbell } from '../../schemas/src/index.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { Outbox } from '../publish/outbox.ts';
import type { Store } from '../store/store.ts';

export class Doorbell {
  /** Timers of deferred items coming due, by agent and time. */
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: Store,
    private readonly outbox: Outbox,
    private readonly lifecycle: Lifecycle,
    private readonly log: Logger,
  ) {}

  async ring(agent: string): Promise<void> {
    const pending = await this.store.inboxPending(agent, new Date().toISOString());
    const doorbell: Static<typeof InboxDoorbell> = { v: 1, agentId: agent, pending, time: new Date().toISOString() };
    await this.outbox.publish(topics.inbox(agent), JSON.stringify(doorbell), true);
  }

  /** A deferred item that comes due rings the doorbell again [HOST-INBOX-3]. */
  ringAt(agent: string, until: string): void {
    const k = `${agent}\u0000${until}`;
    if (this.timers.has(k)) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(k);
        if (!this.lifecycle.stopping) void this.ring(agent).catch((err) => this.log.warn({ err }, 'doorbell failed'));
      },
      Math.min(Math.max(0, Date.parse(until) - Date.now() + 5), 2 ** 31 - 1),
    );
    timer.unref?.();
    this.timers.set(k, timer);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
