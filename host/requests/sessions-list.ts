/** sessions.list: the requester's sessions with their current index entries. */
import { indexEntryOf } from '../publish/index-entry.ts';
import { reply, type RequestHandler } from './context.ts';

export const listSessions: RequestHandler<'sessions.list'> = async (ctx, principal, req) => {
  const rows = await ctx.store.sessionsOf(principal, req.data.status, req.data.limit ?? 100);
  const sessions = rows.map((r) => indexEntryOf(r.state, principal)).filter((e) => e !== undefined);
  void reply(ctx, req, 'sessions.page', { sessions });
};
