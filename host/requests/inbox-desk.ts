/** Agent inbox verbs [HOST-INBOX-*]: list (peek), ack, archive with a reason, defer until a time. */
import { refuse } from '../gate/errors.ts';
import type { InboxChange } from '../store/store.ts';
import { reply, type RequestContext, type RequestHandler } from './context.ts';

/** Only the agent itself reads or changes its inbox [HOST-INBOX-1]. */
function ownInbox(principal: string, agentId: string): void {
  if (agentId !== principal) refuse('FORBIDDEN', 'HOST-INBOX-1', `${principal} may not use the inbox of ${agentId}`);
}

export const listInbox: RequestHandler<'inbox.list'> = async (ctx, principal, req) => {
  ownInbox(principal, req.data.agentId);
  const now = new Date().toISOString();
  const items = (await ctx.store.inboxList(principal, now, req.data.limit ?? 100)).map(({ agent: _a, ...item }) => item);
  void reply(ctx, req, 'inbox.page', { agentId: principal, items, pending: await ctx.store.inboxPending(principal, now) });
};

/** Applies a verb to the items; the reply says how many changed, and a change rings the doorbell. */
async function change(ctx: RequestContext, req: { id: string; replyTo: string }, change: InboxChange): Promise<boolean> {
  const { affected, unknown } = await ctx.store.inboxChange(change);
  // All or nothing for ids the inbox never had; repeating a verb on done items is fine [HOST-INBOX-2][HOST-INBOX-5].
  if (unknown.length)
    refuse('INBOX_ITEM_NOT_FOUND', 'HOST-INBOX-2', `not items of ${change.agent}'s inbox: ${unknown.join(', ')}`, { itemIds: unknown });
  void reply(ctx, req, 'ok', { affected });
  if (affected > 0) await ctx.doorbell.ring(change.agent);
  return affected > 0;
}

export const ackInbox: RequestHandler<'inbox.ack'> = async (ctx, principal, req) => {
  ownInbox(principal, req.data.agentId);
  await change(ctx, req, { agent: principal, itemIds: req.data.itemIds, action: 'ack' });
};

export const archiveInbox: RequestHandler<'inbox.archive'> = async (ctx, principal, req) => {
  ownInbox(principal, req.data.agentId);
  await change(ctx, req, { agent: principal, itemIds: req.data.itemIds, action: 'archive', reason: req.data.reason });
};

export const deferInbox: RequestHandler<'inbox.defer'> = async (ctx, principal, req) => {
  ownInbox(principal, req.data.agentId);
  const changed = await change(ctx, req, { agent: principal, itemIds: req.data.itemIds, action: 'defer', until: req.data.until });
  // A deferred item that comes due rings the doorbell again [HOST-INBOX-3].
  if (changed) ctx.doorbell.ringAt(req.data.agentId, req.data.until);
};
