/** The retained session state as a follower sees it. */
import { topics } from '../../protocol/topics.ts';
import type { ObservedState } from './observed.ts';
import type { Peer } from '../wire-peer.ts';

/** The first session state a follower got at or beyond seq (waiting up to 3 s), else the latest it got. */
export async function stateAt(peer: Peer, sid: string, seq: number): Promise<ObservedState | undefined> {
  const topic = topics.sessionState(sid);
  try {
    return (await peer.waitFor((m) => m.topic === topic && (m.json?.headSeq ?? 0) >= seq, `session state at seq ${seq}`, 3000)).json;
  } catch {
    return peer.on(topic).at(-1)?.json;
  }
}
