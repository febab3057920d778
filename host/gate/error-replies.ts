/**
 * Refusals become `error` replies, and only on a reply topic of the sender itself [ENV-REPLY-2]:
 * a message without a usable replyTo is refused silently (counted and logged).
 */
import type { Logger } from 'pino';
import { parseTopic, prefixes } from '../../protocol/topics.ts';
import type { ReplyDataOf } from '../../schemas/src/index.ts';
import type { HostMetrics } from '../metrics.ts';
import type { Outbox } from '../publish/outbox.ts';
import { replyJson, replyRe } from '../publish/replies.ts';
import type { ReturnAddress } from './admitted.ts';
import type { ProtocolError } from './errors.ts';

export class ErrorReplies {
  constructor(
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly metrics?: HostMetrics,
  ) {}

  send(address: ReturnAddress | undefined, sid: string | undefined, err: ProtocolError, principal?: string): void {
    this.metrics?.rejected.inc({ code: err.code });
    const replyTo =
      typeof address?.replyTo === 'string' && principal && address.replyTo.startsWith(prefixes.replies(principal))
        ? address.replyTo
        : undefined;
    this.log.debug({ code: err.code, rule: err.rule, principal, sid, msg: err.message }, 'rejected');
    if (!replyTo || parseTopic(replyTo)?.kind !== 'replies') return;
    const data: ReplyDataOf<'error'> = { code: err.code, rule: err.rule, message: err.message };
    if (sid) data.sid = sid;
    if (err.details !== undefined) data.details = err.details;
    void this.outbox.publish(replyTo, replyJson('error', replyRe(address?.id), data));
  }
}
