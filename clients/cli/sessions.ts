/** `tether sessions`: the principal's sessions, most recently updated first. */
import { runCommand } from './command.ts';
import { ANSWER_TIMEOUT_FLAG, seconds, type CommandSpec } from './flags.ts';
import { UsageError } from './errors.ts';
import { clip, table } from './table.ts';
import { ago } from './time.ts';

export const spec: CommandSpec = {
  name: 'sessions',
  synopsis: '',
  summary: 'Lists the sessions you take part in: sid, title, status, your role, who created it, last update.',
  flags: [
    { flag: 'status', env: '', help: 'only open or only closed sessions' },
    { flag: 'limit', env: '', help: 'most sessions to list (1-500)', default: '500' },
    ANSWER_TIMEOUT_FLAG,
  ],
  args: [0, 0],
};

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ values, out, connect }) => {
    const status = values.status;
    if (status !== undefined && status !== 'open' && status !== 'closed')
      throw new UsageError(`--status must be open or closed, got ${JSON.stringify(status)}`);
    const limit = Number(values.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 500)
      throw new UsageError(`--limit must be an integer from 1 to 500, got ${JSON.stringify(values.limit)}`);
    const timeout = seconds(values.timeout, 'timeout');
    const client = await connect(undefined, { requestTimeoutMs: timeout * 1000 });
    const list = await client.listSessions(status ? { status, limit } : { limit });
    const sessions = [...list].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
    if (out.json) {
      out.record({ sessions });
      return;
    }
    if (sessions.length === 0) {
      out.note(status ? `no ${status} sessions` : 'no sessions');
      return;
    }
    const rows = sessions.map((s) => [s.sid, clip(s.title ?? '', 40), s.status, s.role, s.createdBy, ago(s.updatedAt)]);
    const paint = (col: number, cell: string) =>
      col === 0
        ? out.paint('bold', cell)
        : col === 2 && cell === 'closed'
          ? out.paint('dim', cell)
          : col === 5
            ? out.paint('dim', cell)
            : cell;
    for (const l of table(['SID', 'TITLE', 'STATUS', 'ROLE', 'CREATED BY', 'UPDATED'], rows, paint)) out.line(l);
  });
}
