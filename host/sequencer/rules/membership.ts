/** Rules of session.create, session.close, participant.add and participant.remove. */
import type { EventDataOf, Role, SessionState } from '../../../schemas/src/index.ts';
import { refuse } from '../../gate/errors.ts';
import { roleOf } from './admission.ts';
import type { CommandRule } from './rule.ts';

function ownersAfter(s: SessionState, principal: string, role: Role | null): number {
  return s.participants.filter((p) => (p.principal === principal ? role === 'owner' : p.role === 'owner')).length;
}

export const createSession: CommandRule<'session.create'> = ({ sender }, data) => {
  const participants: { principal: string; role: Role }[] = [{ principal: sender, role: 'owner' }];
  const seen = new Set<string>();
  for (const p of data.participants ?? []) {
    if (seen.has(p.principal)) refuse('SCHEMA_INVALID', 'HOST-CREATE-4', `participants lists ${p.principal} twice`);
    seen.add(p.principal);
    // An entry for the creator is ignored: the creator is always the first owner [HOST-CREATE-3].
    if (p.principal !== sender) participants.push({ principal: p.principal, role: p.role });
  }
  const out: EventDataOf<'session.created'> = { participants };
  if (data.title !== undefined) out.title = data.title;
  if (data.metadata !== undefined) out.metadata = data.metadata;
  return { type: 'session.created', data: out };
};

export const closeSession: CommandRule<'session.close'> = (_input, data) => ({ type: 'session.closed', data });

export const addParticipant: CommandRule<'participant.add'> = ({ row }, data) => {
  if (ownersAfter(row.state, data.principal, data.role) === 0) refuse('CONFLICT', 'ROLE-OWNER-1', 'the last owner cannot be demoted');
  return { type: 'participant.joined', data };
};

export const removeParticipant: CommandRule<'participant.remove'> = ({ row }, data) => {
  if (!roleOf(row.state, data.principal)) refuse('CONFLICT', 'CMD-PART-3', `${data.principal} is not a participant`);
  if (ownersAfter(row.state, data.principal, null) === 0) refuse('CONFLICT', 'ROLE-OWNER-1', 'the last owner cannot be removed');
  return { type: 'participant.left', data };
};
