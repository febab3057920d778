/** What request handlers may use, and their shape: one handler per request type (see routes.ts). */
import type { ReplyType, RequestType } from '../../protocol/constants.ts';
import type { Limits, ReplyDataOf } from '../../schemas/src/index.ts';
import type { Doorbell } from '../deadlines/doorbell.ts';
import type { RequestMessageOf } from '../gate/admitted.ts';
import type { Outbox } from '../publish/outbox.ts';
import { replyJson, replyRe } from '../publish/replies.ts';
import type { TailCache } from '../publish/tail-cache.ts';
import type { LiveSessions } from '../sequencer/live-sessions.ts';
import type { Store } from '../store/store.ts';

export interface RequestContext {
  store: Store;
  sessions: LiveSessions;
  tail: TailCache;
  limits: Limits;
  maxMessageBytes: number;
  outbox: Outbox;
  doorbell: Doorbell;
}

/** Answers the request on its replyTo, or refuses it by throwing a ProtocolError. */
export type RequestHandler<K extends RequestType> = (ctx: RequestContext, principal: string, req: RequestMessageOf<K>) => Promise<void>;

export type RequestHandlers = { [K in RequestType]: RequestHandler<K> };

export function reply<K extends ReplyType>(
  ctx: RequestContext,
  req: { id: string; replyTo: string },
  type: K,
  data: ReplyDataOf<K>,
): Promise<void> {
  return ctx.outbox.publish(req.replyTo, replyJson(type, replyRe(req.id), data));
}
