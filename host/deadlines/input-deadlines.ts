/**
 * Deadlines of input requests: at the deadline the host resolves the request by its onTimeout
 * policy, as an event of its own. Deadlines live in the store, so they survive restarts [HOST-INPUT-8].
 */
import type { Logger } from 'pino';
import { HOST_SENDER } from '../../protocol/constants.ts';
import type { EventDataOf } from '../../schemas/src/index.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { LiveSessions } from '../sequencer/live-sessions.ts';
import { isEventOf } from '../sequencer/log-event.ts';
import type { Sequencer } from '../sequencer/sequencer.ts';
import type { CommitBatch, Store } from '../store/store.ts';

export interface InputDeadlinesOptions {
  store: Store;
  sessions: LiveSessions;
  sequencer: Sequencer;
  /** Commits what was accepted so far (see GroupCommit.flush). */
  flush: () => Promise<void>;
  lifecycle: Lifecycle;
  log: Logger;
}

export class InputDeadlines {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly opts: InputDeadlinesOptions) {}

  /**
   * Overdue requests are resolved in deadline order before any command is accepted; the others are
   * re-armed. Deadlines live in the store, so they survive restarts [HOST-INPUT-8].
   */
  async resolveOverdue(): Promise<void> {
    const deadlines = (await this.opts.store.openDeadlines()).sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
    const now = Date.now();
    for (const d of deadlines) {
      if (Date.parse(d.deadline) <= now) await this.resolve(d.sid, d.requestId);
      else this.arm(d.sid, d.requestId, d.deadline);
    }
    await this.opts.flush();
  }

  /** Arms the deadlines a commit added and disarms those it removed. */
  apply(commit: CommitBatch): void {
    for (const d of commit.deadlinesAdded) this.arm(d.sid, d.requestId, d.deadline);
    for (const d of commit.deadlinesRemoved) {
      const k = `${d.sid}\u0000${d.requestId}`;
      clearTimeout(this.timers.get(k));
      this.timers.delete(k);
    }
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Deadlines survive restarts: they are in the store and re-armed at start [HOST-INPUT-8]. */
  private arm(sid: string, requestId: string, deadline: string): void {
    const k = `${sid}\u0000${requestId}`;
    clearTimeout(this.timers.get(k));
    const delay = Math.max(0, Date.parse(deadline) - Date.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(k);
        void this.onDeadline(sid, requestId).catch((err) => this.opts.log.error({ err }, 'deadline failed'));
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    timer.unref?.();
    this.timers.set(k, timer);
  }

  private async onDeadline(sid: string, requestId: string): Promise<void> {
    if (this.opts.lifecycle.stopping) return;
    await this.opts.lifecycle.ready;
    await this.resolve(sid, requestId);
  }

  private async resolve(sid: string, requestId: string): Promise<void> {
    const session = await this.opts.sessions.get(sid);
    const open = session?.row.state.openInputs.find((i) => i.requestId === requestId);
    // A closed session has no open inputs: nothing is appended to it [HOST-CLOSE-3].
    if (!session || !open) return;
    if (open.deadline && Date.parse(open.deadline) > Date.now()) return this.arm(sid, requestId, open.deadline);
    const [req] = await this.opts.sessions.log.readEvents(sid, open.seq - 1, open.seq, 1);
    const policy = (req && isEventOf(req, 'input.requested') ? req.data.onTimeout : undefined) ?? { policy: 'wait' };
    if (policy.policy === 'wait') return;
    const data: EventDataOf<'input.resolved'> =
      policy.policy === 'default'
        ? { requestId, outcome: 'default', value: policy.value, decidedBy: 'timeout', by: HOST_SENDER, requestSeq: open.seq }
        : { requestId, outcome: 'failed', decidedBy: 'timeout', by: HOST_SENDER, requestSeq: open.seq };
    this.opts.sequencer.append(session, sid, HOST_SENDER, { type: 'input.resolved', data }, new Date());
  }
}
