/**
 * The inbox tools: what waits for this agent, and disposing of it (ack, archive with a reason,
 * defer). The inbox is the principal's own [HOST-INBOX-1]; items point at events, so the model
 * reads the event itself (read_session) before it acts [AGENT-INBOX-2].
 */
import { clipped, result } from '../format.ts';
import { schema, ToolError, type ToolDef } from '../tool.ts';

export const checkInbox: ToolDef = {
  listing: {
    name: 'check_inbox',
    title: 'Check the Tether inbox',
    description:
      'List the work waiting for you in Tether: pending inbox items (sessions you were added to, messages, steers, answered questions), ' +
      'oldest first and newest last. Each item names a session (sid) and the seq of the event; read it with read_session, then ack_item, archive_item or defer_item.',
    inputSchema: schema.object({ limit: schema.int('most items to list (default 20)', 1, 100) }),
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  async run(args, { participant }) {
    const page = await participant.client.inbox.list(Number(args.limit ?? 20));
    const items = page.items.map(
      (i) => `${i.itemId} ${i.sid}#${i.seq} ${i.kind} ${i.createdAt}${i.summary ? `: ${clipped(i.summary, 200)}` : ''}`,
    );
    const out: Record<string, unknown> = { pending: page.pending, shown: items.length, items };
    if (page.pending > items.length)
      out.note = `${page.pending - items.length} more pending; ack or archive these first, or list with a higher limit`;
    return result(out);
  },
};

export const ackItem: ToolDef = {
  listing: {
    name: 'ack_item',
    title: 'Ack inbox items',
    description: 'Mark inbox items done (you handled them). Repeating it is harmless: affected counts only items that changed.',
    inputSchema: schema.object({ itemIds: schema.ids('inbox item ids, from check_inbox') }, ['itemIds']),
    annotations: { idempotentHint: true, destructiveHint: false, openWorldHint: true },
  },
  async run(args, { participant }) {
    return result({ affected: await participant.client.inbox.ack(args.itemIds as string[]) });
  },
};

export const archiveItem: ToolDef = {
  listing: {
    name: 'archive_item',
    title: 'Archive inbox items',
    description: 'Drop inbox items from your attention without acting on them, with the reason (kept by the host with the item).',
    inputSchema: schema.object(
      {
        itemIds: schema.ids('inbox item ids, from check_inbox'),
        reason: schema.str('why you leave them aside (up to 500 characters)', { minLength: 1, maxLength: 500 }),
      },
      ['itemIds', 'reason'],
    ),
    annotations: { idempotentHint: true, destructiveHint: false, openWorldHint: true },
  },
  async run(args, { participant }) {
    return result({ affected: await participant.client.inbox.archive(args.itemIds as string[], String(args.reason)) });
  },
};

export const deferItem: ToolDef = {
  listing: {
    name: 'defer_item',
    title: 'Defer inbox items',
    description: 'Hide inbox items until later; they are pending again then. Give minutes from now, or an ISO time in until.',
    inputSchema: schema.object(
      {
        itemIds: schema.ids('inbox item ids, from check_inbox'),
        minutes: schema.int('minutes from now', 1, 60 * 24 * 365),
        until: schema.str('ISO 8601 time, e.g. 2026-11-28T09:00:00Z', { format: 'date-time' }),
      },
      ['itemIds'],
    ),
    annotations: { idempotentHint: true, destructiveHint: false, openWorldHint: true },
  },
  async run(args, { participant }) {
    if ((args.minutes === undefined) === (args.until === undefined))
      throw new ToolError('BAD_ARGUMENTS', 'give exactly one of minutes and until');
    const until = args.until !== undefined ? new Date(String(args.until)) : new Date(Date.now() + Number(args.minutes) * 60_000);
    if (Number.isNaN(until.getTime())) throw new ToolError('BAD_ARGUMENTS', `until is not a time: ${String(args.until)}`);
    return result({ affected: await participant.client.inbox.defer(args.itemIds as string[], until), until: until.toISOString() });
  },
};
