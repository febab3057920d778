/**
 * `tether watch`: live notifications of the principal until Ctrl-C - sessions it is added to,
 * input requests it may answer (with the time left and the default that will apply), results and
 * closed sessions. On start it reads the session index and the open input requests of its open
 * sessions, so a question asked while nobody watched is shown too; with --device the broker also
 * keeps the notifications that arrive while watch is not running.
 */
import type { EventDataOf, SessionIndexEntry } from '../../schemas/src/index.ts';
import type { Notification, TetherClient } from '../lib/index.ts';
import { runCommand } from './command.ts';
import { UsageError } from './errors.ts';
import { eventAt } from './event-at.ts';
import { principal, type CommandSpec } from './flags.ts';
import { Lifetime } from './lifetime.ts';
import { WatchPrinter } from './watch-printer.ts';
import { openInputsOf } from './open-inputs.ts';

export const spec: CommandSpec = {
  name: 'watch',
  synopsis: '',
  summary:
    'Prints live notifications until Ctrl-C: new sessions, input requests you may answer (time left, default at the ' +
    'deadline), run results, closed sessions. Starts with the open input requests already waiting for you.',
  flags: [
    {
      flag: 'device',
      env: 'TETHER_DEVICE',
      help: 'a stable device name: the broker keeps notifications for this device while watch is not running',
    },
    { flag: 'scan', env: '', help: 'open sessions (most recent first) whose waiting input requests are shown on start', default: '50' },
  ],
  args: [0, 0],
};

export function main(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ values, out, connect }) => {
    const device = typeof values.device === 'string' && values.device !== '' ? principal(values.device, '--device') : undefined;
    const scan = Number(values.scan);
    if (!Number.isSafeInteger(scan) || scan < 0)
      throw new UsageError(`--scan must be a non-negative integer, got ${JSON.stringify(values.scan)}`);
    const client = await connect(undefined, device ? { device, persistent: true } : {});
    const life = new Lifetime(client);
    const printer = new WatchPrinter(out);
    const known = new Set<string>();
    const seen = new Set<string>();
    // Notifications are printed in arrival order, each after its event is read.
    let queue = Promise.resolve();
    const later = (job: () => Promise<void>) => (queue = queue.then(job).catch((err) => life.failWith(err)));

    client.on('notification', (n) => {
      // QoS 1 may deliver a notification twice: (k, sid, seq) tells a repeat [DEVICE-DEDUP-1].
      const key = `${n.k}/${n.sid}/${n.seq}`;
      if (seen.has(key)) return;
      seen.add(key);
      later(() => notified(client, printer, known, n));
    });
    await client.watchNotifications();
    const index = await client.watchSessions();
    const sessions = await client.listSessions({ limit: 500 });
    for (const s of sessions) known.add(s.sid);
    index.on('added', (entry) => {
      if (known.has(entry.sid)) return;
      known.add(entry.sid);
      later(async () => printer.session(entry.sid, { title: entry.title, by: entry.createdBy, role: entry.role }));
    });
    let offline = false;
    client.on('state', (s) => {
      if (s === 'reconnecting' && !offline) printer.connection((offline = true));
      else if (s === 'online' && offline) printer.connection((offline = false));
    });
    const open = sessions.filter((s) => s.status === 'open');
    printer.ready(client.principal, sessions.length, open.length);
    later(() => waiting(client, printer, seen, answerable(open).slice(0, scan)));
    return life.ended;
  });
}

/** Sessions in which this principal's role may answer input requests, most recent first. */
function answerable(sessions: SessionIndexEntry[]): SessionIndexEntry[] {
  return sessions
    .filter((s) => s.role === 'owner' || s.role === 'member' || s.role === 'approver')
    .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
}

async function waiting(client: TetherClient, printer: WatchPrinter, seen: Set<string>, sessions: SessionIndexEntry[]): Promise<void> {
  for (const { sid, req, seq, by } of await openInputsOf(
    client,
    sessions.map((s) => s.sid),
  )) {
    if (req.to && !req.to.includes(client.principal)) continue;
    const key = `input/${sid}/${seq}`;
    if (seen.has(key)) continue;
    seen.add(key);
    printer.input(sid, seq, by, req, true);
  }
}

async function notified(client: TetherClient, printer: WatchPrinter, known: Set<string>, n: Notification): Promise<void> {
  const e = await eventAt(client, n.sid, n.seq).catch(() => undefined);
  switch (n.k) {
    case 'session': {
      if (known.has(n.sid)) return;
      known.add(n.sid);
      const created = e?.type === 'session.created' ? (e.data as EventDataOf<'session.created'>) : undefined;
      printer.session(n.sid, { title: created?.title ?? n.t, by: e?.sender, seq: n.seq });
      return;
    }
    case 'input': {
      const d = e?.type === 'input.requested' ? (e.data as EventDataOf<'input.requested'>) : undefined;
      printer.input(n.sid, n.seq, e?.sender, d ?? { requestId: '?', prompt: n.t, risk: 'low' }, false);
      return;
    }
    case 'result': {
      const d = e?.type === 'run.finished' ? (e.data as EventDataOf<'run.finished'>) : undefined;
      printer.result(n.sid, n.seq, d ? { runId: d.runId, status: d.status, summary: d.summary ?? d.error } : { summary: n.t });
      return;
    }
    case 'closed':
      printer.closed(n.sid, n.seq, e?.sender, n.t);
      return;
    default:
      // A kind added by a later 1.x: shown as it is [VER-COMPAT-4].
      printer.other(n);
  }
}
