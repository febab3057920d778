/**
 * The durable store behind a session host. One interface, several engines (embedded SQLite now,
 * PostgreSQL for scale-out); test/store-contract.ts is the contract every engine must pass.
 * Every method that changes data is atomic: it either fully happens or not at all.
 */
import type { EventEnvelope, InboxItem, SessionState } from '../../schemas/src/index.ts';

/** The id an event is known by within its session: its msgId, requestId or runId (in that order). */
export function eventKey(data: Record<string, unknown>): string | null {
  const k = data.msgId ?? data.requestId ?? data.runId;
  return typeof k === 'string' ? k : null;
}

/** An event as stored: the wire event plus nothing else (cid may be absent for host events). */
export type StoredEvent = EventEnvelope;

export interface SessionRow {
  state: SessionState;
  /** Host-internal stream bookkeeping: next chunk index per open msgId. */
  streams: Record<string, number>;
  /** Events with seq <= floorSeq were pruned by retention; 0 when nothing was pruned. */
  floorSeq: number;
}

export interface InputDeadline {
  sid: string;
  requestId: string;
  requestSeq: number;
  deadline: string;
}

export interface InboxRecord extends InboxItem {
  agent: string;
}

/** One group-committed unit: everything a batch of accepted commands changes. */
export interface CommitBatch {
  events: StoredEvent[];
  /** Latest state of every session the batch touched. */
  sessions: SessionRow[];
  /** Index entries to (re)write: principal -> role, or null to remove. */
  participants: { sid: string; principal: string; role: string | null }[];
  deadlinesAdded: InputDeadline[];
  deadlinesRemoved: { sid: string; requestId: string }[];
  inboxAdded: Omit<InboxRecord, 'itemId'>[];
  results: { sid: string; payload: string }[];
}

export interface InboxChange {
  agent: string;
  itemIds: string[];
  action: 'ack' | 'archive' | 'defer';
  reason?: string;
  until?: string;
}

/** A search as the store runs it: words already checked, the cursor already decoded [HOST-SEARCH-3][HOST-SEARCH-6]. */
export interface SearchQuery {
  principal: string;
  /** Each word a run of letters and digits; all must match, the last one as a prefix. */
  words: string[];
  sid?: string;
  limit: number;
  /** Hits strictly older than this position (time, sid, seq, all descending). */
  before?: { time: string; sid: string; seq: number };
}

export interface SearchRow {
  sid: string;
  seq: number;
  type: string;
  sender: string;
  time: string;
  snippet: string;
  title?: string;
}

/** The searchable text of a message event: its text parts, joined; undefined when it has none. */
export function searchableText(type: string, data: Record<string, unknown>): string | undefined {
  if (type !== 'message' && type !== 'message.completed') return undefined;
  const parts = Array.isArray(data.parts) ? data.parts : [];
  const texts = parts
    .filter((p): p is { kind: 'text'; text: string } => p?.kind === 'text' && typeof p.text === 'string')
    .map((p) => p.text);
  return texts.length ? texts.join('\n') : undefined;
}

export interface Store {
  /** Increments and returns the host epoch (durable). */
  nextEpoch(hostId: string): Promise<number>;
  getSession(sid: string): Promise<SessionRow | undefined>;
  /** The seq and type of a command seen before from this sender in this session. */
  findCommand(sid: string, sender: string, cid: string): Promise<{ seq: number; type: string } | undefined>;
  /** Every command id the session has seen, also of pruned events, as `{sender}\u0000{cid}`. */
  commandKeys(sid: string): Promise<string[]>;
  /** Appends a batch atomically and durably; returns the inbox item ids assigned, in order. */
  commit(batch: CommitBatch): Promise<string[]>;
  /**
   * The first or latest event of one of `types` whose key (msgId, else requestId, else runId; see
   * eventKey) equals `key` (undefined: events without a key). Events dropped by retention are still
   * found, with empty data.
   */
  findEvent(sid: string, types: string[], key: string | undefined, which: 'first' | 'latest'): Promise<StoredEvent | undefined>;
  /** Events with after < seq <= to, ascending, at most limit. */
  readEvents(sid: string, after: number, to: number, limit: number): Promise<StoredEvent[]>;
  /** Removes events with seq <= floor and records the snapshot at floor. */
  prune(sid: string, floor: number, snapshot: SessionState): Promise<void>;
  snapshotAtFloor(sid: string): Promise<{ atSeq: number; state: SessionState } | undefined>;
  sessionsOf(principal: string, status?: 'open' | 'closed', limit?: number): Promise<{ state: SessionState; role: string }[]>;
  /** Open sessions this principal created. */
  countSessionsCreatedBy(principal: string): Promise<number>;
  allSessions(): AsyncIterable<SessionRow>;
  openDeadlines(): Promise<InputDeadline[]>;
  inboxList(agent: string, now: string, limit: number): Promise<InboxRecord[]>;
  inboxPending(agent: string, now: string): Promise<number>;
  /** All or nothing: when an id was never in that agent's inbox, nothing changes and it is listed in unknown. */
  inboxChange(change: InboxChange): Promise<{ affected: number; unknown: string[] }>;
  inboxAgents(): Promise<string[]>;
  results(): Promise<{ sid: string; payload: string }[]>;
  putAgentState(agentId: string, payload: string, epoch: number): Promise<void>;
  agentStates(): Promise<{ agentId: string; payload: string }[]>;
  /** Message events matching every word, of sessions the principal participates in, newest first. */
  search(q: SearchQuery): Promise<SearchRow[]>;
  close(): Promise<void>;
}
