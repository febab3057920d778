/**
 * The content used to fill logs: the same events for Tether and every peer, so that every system
 * moves the same bytes. Fillers are token chunks of one open message: the host never merges or
 * omits them when the reader asks history with compact=false.
 */

/** Text of the k-th filler chunk (about 60 characters). */
export const fillerText = (k: number) => `event ${k}: the quick brown fox jumps over the lazy dog.`;

export const FILLER_MSG = 'm-fill';

/** The event a peer stores for chunk k: a Tether event envelope of the same shape and size. */
export function peerEvent(sid: string, k: number): Record<string, unknown> {
  return {
    v: 1,
    sid,
    seq: k + 3,
    type: 'message.delta',
    time: new Date().toISOString(),
    sender: 'agent-bench',
    cid: `c-bench0000000000-${(k + 3).toString(36)}`,
    data: { msgId: FILLER_MSG, i: k, text: fillerText(k) },
  };
}
