/**
 * The sequencer: turns an admitted command into the next event of its session. It answers repeats
 * from idempotency, applies the session-independent checks and the rule of the command's type,
 * assigns the next seq and applies the event in memory; the group commit makes it durable.
 */
import { EVENT_OF_COMMAND } from '../../protocol/constants.ts';
import type { EventEnvelope, Limits } from '../../schemas/src/index.ts';
import type { Batch, Duplicate } from '../commit/batch.ts';
import type { CommandMessage } from '../gate/admitted.ts';
import { refuse } from '../gate/errors.ts';
import type { HostMetrics } from '../metrics.ts';
import type { Store } from '../store/store.ts';
import { CommandIds } from './command-ids.ts';
import { effectsOf, type Effects } from './effects.ts';
import { IdFilter } from './id-filter.ts';
import type { KnownAgents } from './known-agents.ts';
import type { LiveSession, LiveSessions } from './live-sessions.ts';
import { PendingCreates } from './pending-creates.ts';
import { admitToSession } from './rules/admission.ts';
import type { Decision, RuleInput } from './rules/rule.ts';
import { emptySession, reduce } from './session-reducer.ts';

/** The rule of the command's type, bound to the command's data (see routes.ts). */
export type BoundRule = (input: RuleInput) => Decision | Promise<Decision>;

/** Where accepted events and answered repeats go: the open batch of the group commit. */
export interface BatchSink {
  accept(accepted: { event: EventEnvelope; replyTo?: string; effects: Effects }, session: LiveSession): void;
  duplicate(d: Duplicate): void;
}

export interface SequencerOptions {
  store: Store;
  limits: Limits;
  maxMessageBytes: number;
  sessions: LiveSessions;
  batch: BatchSink;
  metrics?: HostMetrics;
  /** Principals with an agent card: agents in any role [INBOX-ITEM-4]. */
  agents?: KnownAgents;
}

export class Sequencer {
  private readonly ids: CommandIds;
  private readonly creates = new PendingCreates();

  constructor(private readonly opts: SequencerOptions) {
    this.ids = new CommandIds(opts.store);
  }

  async submit(sid: string, sender: string, cmd: CommandMessage, rule: BoundRule): Promise<void> {
    const { sessions, store, limits } = this.opts;
    let session = await sessions.get(sid);
    // Idempotency: a command id seen before returns the original result, never a second event [HOST-IDEM-1].
    const seen = this.ids.pendingOf(sid, sender, cmd.id) ?? (await this.ids.seenBefore(session, sid, sender, cmd.id));
    if (seen) {
      if (seen.type !== EVENT_OF_COMMAND[cmd.type])
        refuse('ID_REUSED', 'HOST-IDEM-2', `command id ${cmd.id} was already used for another command type`);
      this.opts.metrics?.duplicates.inc();
      this.opts.batch.duplicate({ replyTo: cmd.replyTo, re: cmd.id, sid, seq: seen.seq });
      return;
    }
    const now = new Date();
    if (!session) {
      if (cmd.type !== 'session.create') refuse('SESSION_NOT_FOUND', 'HOST-CREATE-1', `no session ${sid}`);
      const created = await store.countSessionsCreatedBy(sender);
      // Accepted but not yet committed (in this batch or in one being committed): not in the store yet.
      const pending = this.creates.of(sender);
      if (created + pending >= limits.maxSessionsPerPrincipal) {
        refuse(
          'LIMIT_EXCEEDED',
          'HOST-LIMIT-5',
          `${sender} already has ${created + pending} open sessions it created (max ${limits.maxSessionsPerPrincipal})`,
          {
            limit: 'maxSessionsPerPrincipal',
            max: limits.maxSessionsPerPrincipal,
          },
        );
      }
      session = { row: emptySession(sid, sender, now.toISOString()), committed: 0, ids: new IdFilter() };
    } else {
      admitToSession(session.row.state, sender, cmd.type);
    }
    const decision = await rule({ row: session.row, sender, log: sessions.log, now, maxMessageBytes: this.opts.maxMessageBytes });
    this.append(session, sid, sender, decision, now, cmd.id, cmd.replyTo);
    this.ids.accepted(session, sid, sender, cmd.id, { seq: session.row.state.headSeq, type: decision.type });
    if (decision.type === 'session.created') this.creates.add(sender);
  }

  /** Assigns the next seq and applies the event in memory; durable at the next flush [HOST-SEQ-1][HOST-SEQ-2]. */
  append(session: LiveSession, sid: string, sender: string, decision: Decision, now: Date, cid?: string, replyTo?: string): void {
    const before = session.row.state.headSeq === 0 ? undefined : session.row.state;
    const event: EventEnvelope = {
      v: 1,
      sid,
      seq: session.row.state.headSeq + 1,
      type: decision.type,
      time: now.toISOString(),
      sender,
      data: decision.data,
    };
    if (cid !== undefined) event.cid = cid;
    session.row = reduce(session.row, event);
    this.opts.sessions.accepted(session, event);
    const effects = effectsOf(event, before, session.row.state, (p) => this.opts.agents?.has(p) ?? false);
    this.opts.batch.accept({ event, replyTo, effects }, session);
  }

  /** The batch is in the store: its sessions are committed up to its events. */
  committed(batch: Batch): void {
    const events = batch.accepted.map((a) => a.event);
    this.creates.settle(events);
    this.ids.settle(events);
    const heads = new Map<string, number>();
    for (const e of events) heads.set(e.sid, e.seq);
    this.opts.sessions.committed(heads);
  }

  /** The batch failed to commit: nothing of it happened, and its sessions are read from the store again. */
  failed(batch: Batch): void {
    const events = batch.accepted.map((a) => a.event);
    this.creates.settle(events);
    this.opts.sessions.forget(batch.touched.keys());
    this.ids.settle(events);
  }
}
