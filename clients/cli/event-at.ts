/** One event of a session's log, read with history.get (uncompacted, so it is there as appended). */
import type { EventEnvelope } from '../../schemas/src/index.ts';
import type { TetherClient } from '../lib/index.ts';

/** The event at `seq`, or undefined when the log no longer has it (retention). */
export async function eventAt(client: TetherClient, sid: string, seq: number): Promise<EventEnvelope | undefined> {
  const page = await client.history(sid, { after: seq - 1, to: seq, limit: 1, compact: false });
  return page.events.find((e) => e.seq === seq);
}
