/** A principal's index entry for a session (retained on its users/{principal}/sessions/{sid} topic). */
import type { SessionIndexEntry, SessionState } from '../../schemas/src/index.ts';
import { roleOf } from '../sequencer/rules/admission.ts';

/** The entry, or undefined when the principal is not a participant. */
export function indexEntryOf(state: SessionState, principal: string): SessionIndexEntry | undefined {
  const role = roleOf(state, principal);
  if (!role) return undefined;
  const entry: SessionIndexEntry = {
    v: 1,
    sid: state.sid,
    role,
    status: state.status,
    createdBy: state.createdBy,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
  if (state.title !== undefined) entry.title = state.title;
  return entry;
}

/** The retained payload: the entry's JSON, or empty (which clears it) for a non-participant. */
export function indexEntryJson(state: SessionState, principal: string): string {
  const entry = indexEntryOf(state, principal);
  return entry ? JSON.stringify(entry) : '';
}
