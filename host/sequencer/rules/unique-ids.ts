import type { LogReader } from './rule.ts';
import { refuse } from '../../gate/errors.ts';

/** Refuses ids a session has used before: msgId, runId and requestId are unique per session. */
export async function refuseUsed(log: LogReader, sid: string, types: string[], key: string, rule: string, what: string): Promise<void> {
  const used = await log.findEvent(sid, types, key, 'first');
  if (used) refuse('CONFLICT', rule, `${what} ${key} was already used in this session (seq ${used.seq})`, { seq: used.seq });
}
