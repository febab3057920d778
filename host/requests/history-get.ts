/** history.get: a page of a session's log, for its participants only. */
import { refuse } from '../gate/errors.ts';
import { historyPageReplyJson, replyRe } from '../publish/replies.ts';
import { roleOf } from '../sequencer/rules/admission.ts';
import type { RequestHandler } from './context.ts';
import { historyPageJson } from './history.ts';

export const getHistory: RequestHandler<'history.get'> = async (ctx, principal, req) => {
  const q = req.data;
  const session = await ctx.sessions.get(q.sid);
  if (!session) refuse('SESSION_NOT_FOUND', 'HOST-HISTORY-1', `no session ${q.sid}`);
  if (!roleOf(session.row.state, principal)) refuse('NOT_PARTICIPANT', 'HOST-AUTHZ-2', `${principal} is not a participant of ${q.sid}`);
  const page = await historyPageJson(
    ctx.store,
    session.committed,
    session.row.floorSeq,
    q,
    ctx.limits.maxHistoryPage,
    ctx.maxMessageBytes,
    ctx.tail,
  );
  void ctx.outbox.publish(req.replyTo, historyPageReplyJson(replyRe(req.id), page));
};
