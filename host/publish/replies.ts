/** The JSON of replies: `{v, type, re, data}` on the requester's replyTo topic. */
import type { ReplyType } from '../../protocol/constants.ts';
import type { ReplyDataOf } from '../../schemas/src/index.ts';

/** `re` of a reply: the id when it is a string of at most 128 characters, else "" [ENV-RE-1]. */
export function replyRe(id: unknown): string {
  return typeof id === 'string' && id.length <= 128 ? id : '';
}

export function replyJson<K extends ReplyType>(type: K, re: string, data: ReplyDataOf<K>): string {
  return JSON.stringify({ v: 1, type, re, data });
}

/** A `history.page` reply around page data that is JSON text already. */
export function historyPageReplyJson(re: string, pageJson: string): string {
  return `{"v":1,"type":"history.page","re":${JSON.stringify(re)},"data":${pageJson}}`;
}

export function ackJson(re: string, sid: string, seq: number, duplicate: boolean): string {
  return replyJson('ack', re, { sid, seq, duplicate });
}
