/**
 * `tether wait`: the shell bridge for agents that live in a coding CLI, cron or CI. Blocks until
 * the agent's inbox has pending items, prints them with the text of the event each points at,
 * and exits 0. Printed items stay pending until acknowledged (`tether ack`, or `--ack`), so a
 * process killed before the agent acted loses nothing: the next `wait` prints them again.
 */
import type { EventEnvelope, InboxItem } from '../../schemas/src/index.ts';
import type { TetherClient } from '../lib/index.ts';
import { runCommand } from './command.ts';
import { CliError, UsageError } from './errors.ts';
import { eventAt } from './event-at.ts';
import { eventText } from './event-text.ts';
import { EXIT } from './exit-codes.ts';
import { AGENT_FLAG, agentOf, principal, seconds, type CommandSpec } from './flags.ts';
import type { Output } from './output.ts';
import { waitForItems } from './inbox-wait.ts';

export const spec: CommandSpec = {
  name: 'wait',
  synopsis: '',
  summary:
    "Waits until the agent's inbox (--agent, default --user) has pending items, prints them with the text of the event " +
    'each points at, and exits 0. Items stay pending until acknowledged with `tether ack ITEM_ID...` or --ack.',
  flags: [
    AGENT_FLAG,
    { flag: 'session', env: '', help: 'only items of this session' },
    { flag: 'timeout', env: '', help: 'give up after this many seconds with exit 6; 0 checks once (default: wait for ever)' },
    { flag: 'max', env: '', help: 'most items to print, oldest first', default: '10' },
    { flag: 'ack', env: '', help: 'acknowledge the items once they are printed', boolean: true },
  ],
  args: [0, 0],
  notes:
    'exit 0: items printed; 6: none before --timeout (with --timeout 0: none pending now); 130: interrupted.\n' +
    'A loop for an agent: tether wait; read; act; tether reply SID TEXT; tether ack ITEM_ID...; again.',
};

/** What `--json` prints per item (one object per line). */
export interface WaitRecord extends InboxItem {
  /** The event the item points at, compact; null when it could not be read (the error says why). */
  event: { type: string; sender: string; time: string; text: string; data?: Record<string, unknown> } | null;
  error?: { code: string; message: string };
}

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async (inv) => {
    const agent = agentOf(inv);
    const sid = typeof inv.values.session === 'string' ? principal(inv.values.session, '--session') : undefined;
    const timeoutMs = inv.values.timeout === undefined ? undefined : seconds(inv.values.timeout, 'timeout') * 1000;
    const max = Number(inv.values.max);
    if (!Number.isSafeInteger(max) || max < 1 || max > 500)
      throw new UsageError(`--max must be an integer from 1 to 500, got ${JSON.stringify(inv.values.max)}`);
    const stop = new AbortController();
    const onSigint = () => stop.abort(new CliError(EXIT.INTERRUPTED, 'INTERRUPTED', 'interrupted'));
    process.once('SIGINT', onSigint);
    try {
      const client = await inv.connect(agent);
      client.on('error', (err) => stop.abort(err));
      const onWaiting = () => inv.out.note(inv.out.paint('dim', `waiting for inbox items of ${agent}${sid ? ` in ${sid}` : ''}...`));
      const items = await waitForItems(client, { sid, max, timeoutMs, signal: stop.signal, onWaiting });
      if (items.length === 0) {
        const where = sid ? ` of session ${sid}` : '';
        throw new CliError(
          EXIT.TIMEOUT,
          'TIMEOUT',
          timeoutMs === 0 ? `no pending items${where} for ${agent}` : `no inbox item${where} for ${agent} within ${timeoutMs! / 1000} s`,
        );
      }
      const records = await Promise.all(items.map((item) => withEvent(client, item)));
      for (const r of records) print(inv.out, r);
      const ids = items.map((i) => i.itemId);
      if (inv.values.ack) await client.inbox.ack(ids);
      else if (!inv.out.json) inv.out.note(inv.out.paint('dim', `# reply: tether reply SID TEXT   done: tether ack ${ids.join(' ')}`));
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}

async function withEvent(client: TetherClient, item: InboxItem): Promise<WaitRecord> {
  try {
    const e = await eventAt(client, item.sid, item.seq);
    return {
      ...item,
      event: e ? compact(e) : null,
      ...(e ? {} : { error: { code: 'EVENT_NOT_FOUND', message: `no event at seq ${item.seq} (pruned by retention?)` } }),
    };
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'FAILURE';
    return { ...item, event: null, error: { code, message: (err as Error).message } };
  }
}

function compact(e: EventEnvelope): NonNullable<WaitRecord['event']> {
  const out: NonNullable<WaitRecord['event']> = { type: e.type, sender: e.sender, time: e.time, text: eventText(e) };
  // A message's content is its text; other events keep their data for scripts.
  if (e.type !== 'message') out.data = e.data as Record<string, unknown>;
  return out;
}

function print(out: Output, r: WaitRecord): void {
  if (out.json) {
    out.record(r);
    return;
  }
  out.line(out.paint('dim', `── item ${r.itemId} · ${r.kind} · session ${r.sid} · seq ${r.seq} · ${r.createdAt}`));
  if (r.event) out.line(`${out.paint('bold', r.event.sender)}: ${r.event.text}`);
  else out.line(`${r.summary ?? ''}${out.paint('yellow', ` (event not read: ${r.error?.message ?? 'unknown'})`)}`);
}
