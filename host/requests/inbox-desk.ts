/** Agent inbox verbs [HOST-INBOX-*]: list (peek), ack, archive with a reason, defer until a time. */
import type { Store } from '../store/store.ts';
import { refuse } from '../gate/errors.ts';

type D = Record<string, any>;

export class InboxDesk {
  constructor(private readonly store: Store) {}

  async handle(principal: string, type: string, d: D): Promise<{ type: string; data: unknown; changed: boolean }> {
    // Only the agent itself reads or changes its inbox [HOST-INBOX-1].
    if (d.agentId !== principal) refuse('FORBIDDEN', 'HOST-INBOX-1', `${principal} may not use the inbox of ${d.agentId}`);
    const now = new Date().toISOString();
    if (type === 'inbox.list') {
      const items = (await this.store.inboxList(principal, now, d.limit ?? 100)).map(({ agent: _a, ...item }) => item);
      return { type: 'inbox.page', data: { agentId: principal, items, pending: await this.store.inboxPending(principal, now) }, changed: false };
    }
    const action = type === 'inbox.ack' ? 'ack' : type === 'inbox.archive' ? 'archive' : 'defer';
    const { affected, unknown } = await this.store.inboxChange({ agent: principal, itemIds: d.itemIds, action, reason: d.reason, until: d.until });
    // All or nothing for ids the inbox never had; repeating a verb on done items is fine [HOST-INBOX-2][HOST-INBOX-5].
    if (unknown.length) refuse('INBOX_ITEM_NOT_FOUND', 'HOST-INBOX-2', `not items of ${principal}'s inbox: ${unknown.join(', ')}`, { itemIds: unknown });
    return { type: 'ok', data: { affected }, changed: affected > 0 };
  }
}
