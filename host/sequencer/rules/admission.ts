/** Who may send what to an existing session: it must be open, and the sender's role must allow the type. */
import type { CommandType } from '../../../protocol/constants.ts';
import type { Role, SessionState } from '../../../schemas/src/index.ts';
import { refuse } from '../../gate/errors.ts';

/** Roles allowed to send each command type [HOST-AUTHZ-1]. */
export const ALLOWED_ROLES: Record<CommandType, readonly Role[]> = {
  'session.create': [],
  'session.close': ['owner'],
  'participant.add': ['owner'],
  'participant.remove': ['owner'],
  'message.send': ['owner', 'member', 'agent'],
  'message.start': ['owner', 'member', 'agent'],
  'message.delta': ['owner', 'member', 'agent'],
  'message.complete': ['owner', 'member', 'agent'],
  'run.start': ['owner', 'agent'],
  'run.finish': ['owner', 'agent'],
  'run.cancel': ['owner', 'member'],
  steer: ['owner', 'member'],
  'steer.apply': ['agent'],
  'input.request': ['owner', 'agent'],
  'input.answer': ['owner', 'member', 'approver'],
};

export function roleOf(state: SessionState, principal: string): Role | undefined {
  return state.participants.find((p) => p.principal === principal)?.role;
}

/** Refuses a command to an existing session that its state or the sender's role rules out. */
export function admitToSession(s: SessionState, sender: string, type: CommandType): void {
  if (type === 'session.create') refuse('SESSION_EXISTS', 'HOST-CREATE-2', `session ${s.sid} already exists`);
  if (s.status === 'closed') refuse('SESSION_CLOSED', 'HOST-CLOSE-1', `session ${s.sid} is closed`);
  const role = roleOf(s, sender);
  if (!role) refuse('NOT_PARTICIPANT', 'HOST-AUTHZ-2', `${sender} is not a participant of ${s.sid}`);
  if (!ALLOWED_ROLES[type].includes(role)) refuse('FORBIDDEN', 'HOST-AUTHZ-1', `role ${role} may not send ${type}`);
}
