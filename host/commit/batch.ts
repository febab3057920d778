/** A batch of the group commit: the events accepted since the last flush, and the repeats answered meanwhile. */
import type { EventEnvelope } from '../../schemas/src/index.ts';
import type { Effects } from '../sequencer/effects.ts';
import type { LiveSession } from '../sequencer/live-sessions.ts';
import type { CommitBatch, SessionRow } from '../store/store.ts';

export interface Accepted {
  event: EventEnvelope;
  replyTo?: string;
  effects: Effects;
}

/** A command id seen before: acknowledged again with its original seq, in the order of the batch. */
export interface Duplicate {
  replyTo?: string;
  re: string;
  sid: string;
  seq: number;
}

export interface Batch {
  accepted: Accepted[];
  duplicates: Duplicate[];
  touched: Map<string, LiveSession>;
  /** The touched sessions' rows, sealed when the batch is flushed. */
  rows?: SessionRow[];
}

export function emptyBatch(): Batch {
  return { accepted: [], duplicates: [], touched: new Map() };
}

/** Everything the batch changes in the store, for one transaction. */
export function storeChangesOf(batch: Batch): CommitBatch {
  const commit: CommitBatch = {
    events: [],
    sessions: [],
    participants: [],
    deadlinesAdded: [],
    deadlinesRemoved: [],
    inboxAdded: [],
    results: [],
  };
  for (const a of batch.accepted) {
    commit.events.push(a.event);
    commit.participants.push(...a.effects.participants);
    commit.deadlinesAdded.push(...a.effects.deadlinesAdded);
    commit.deadlinesRemoved.push(...a.effects.deadlinesRemoved);
    commit.inboxAdded.push(...a.effects.inbox);
    if (a.effects.result) commit.results.push(a.effects.result);
  }
  commit.sessions.push(...(batch.rows ?? []));
  return commit;
}
