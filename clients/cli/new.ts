/** `tether new`: creates a session (you are its owner) and prints its sid. */
import { runCommand, withTimeout } from './command.ts';
import { UsageError } from './errors.ts';
import { ANSWER_TIMEOUT_FLAG, principal, seconds, type CommandSpec } from './flags.ts';

const ROLES = ['owner', 'member', 'viewer', 'approver', 'agent'] as const;
type Role = (typeof ROLES)[number];

export const spec: CommandSpec = {
  name: 'new',
  synopsis: '',
  summary: 'Creates a session with you as its owner and prints its sid.',
  flags: [
    { flag: 'title', env: '', help: 'title of the session (at most 200 characters)' },
    {
      flag: 'with',
      env: '',
      help: 'other participants, PRINCIPAL[:ROLE],... (role owner, member, viewer, approver or agent; default member)',
    },
    { flag: 'sid', env: '', help: 'the session id to use (default: a new random one)' },
    ANSWER_TIMEOUT_FLAG,
  ],
  args: [0, 0],
  notes: 'example: tether new --title "Incident 4711" --with helper-bot:agent,bob:approver',
};

export function participantsOf(text: string): { principal: string; role: Role }[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const [who, role = 'member', ...rest] = item.split(':');
      if (rest.length > 0 || !ROLES.includes(role as Role))
        throw new UsageError(`--with ${JSON.stringify(item)}: expected PRINCIPAL[:ROLE] with ROLE one of ${ROLES.join(', ')}`);
      return { principal: principal(who, `--with ${JSON.stringify(item)}: the principal`), role: role as Role };
    });
}

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ values, out, connect }) => {
    const title = typeof values.title === 'string' ? values.title : undefined;
    if (title !== undefined && [...title].length > 200) throw new UsageError('--title is longer than 200 characters');
    const participants = typeof values.with === 'string' ? participantsOf(values.with) : [];
    const sid = typeof values.sid === 'string' ? principal(values.sid, '--sid') : undefined;
    const timeout = seconds(values.timeout, 'timeout');
    const client = await connect();
    const created = await withTimeout(
      client.createSession({ sid, ...(title !== undefined ? { title } : {}), ...(participants.length ? { participants } : {}) }),
      timeout,
      'session.create',
    );
    if (out.json) out.record({ sid: created, title, participants: [{ principal: client.principal, role: 'owner' }, ...participants] });
    else out.line(created);
  });
}
