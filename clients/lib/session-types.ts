/** The public contract of a joined session: its events, options and what it needs from its client. */
import type { CommandDataOf, EventDataOf, EventEnvelope, SessionState } from '../../schemas/src/index.ts';
import type { Ack, CommandOptions } from './command-ledger.ts';
import type { PresenceState, PresenceStatus } from './liveness.ts';
import type { MessageView } from './message-fold.ts';
import type { Reply, RequestOptions } from './request-ledger.ts';
import type { SeqStore } from './seq-store.ts';
import type { FeedItem, SessionFeedOptions } from './session-feed.ts';
import type { Session } from './session.ts';

export interface SessionEvents {
  /** Every item in order: events and resets. */
  item: (item: FeedItem) => void;
  event: (event: EventEnvelope) => void;
  /** Cursor expired: replace your state with this snapshot; events continue from atSeq + 1. */
  reset: (reset: { atSeq: number; state: SessionState }) => void;
  /** The host lost events it had published: everything is delivered again from seq 1. */
  rewind: (info: { headSeq: number }) => void;
  /** A message view changed (text so far, completion). */
  message: (view: MessageView) => void;
  /** The retained session state (a display snapshot, not the log). */
  state: (state: SessionState) => void;
  /** A participant device's presence changed (stale epochs are ignored). */
  presence: (key: string, presence: PresenceState | undefined) => void;
  /** The session cannot be followed any more (e.g. no longer a participant). */
  error: (err: Error) => void;
}

export interface JoinOptions extends SessionFeedOptions {
  /** Start after this seq instead of the stored one (0: from the beginning). */
  after?: number;
  /** Where lastSeq is kept (default: the client's store). */
  seqStore?: SeqStore;
  /** Also follow participants' presence (default false). */
  presence?: boolean;
}

export interface SendOptions {
  role?: CommandDataOf<'message.send'>['role'];
  msgId?: string;
  replyToSeq?: number;
  /** Command id (reuse it to retry a command the application sent before). */
  id?: string;
}

export interface AskOptions {
  prompt: string;
  requestId?: string;
  answerSchema?: CommandDataOf<'input.request'>['answerSchema'];
  /** When the host applies onTimeout (Date, ISO string, or ms from now). */
  deadline?: Date | string | number;
  onTimeout?: CommandDataOf<'input.request'>['onTimeout'];
  risk?: CommandDataOf<'input.request'>['risk'];
  to?: string[];
  runId?: string;
  id?: string;
}

/** The data of an input.resolved event, and its seq. */
export type InputResolution = EventDataOf<'input.resolved'> & {
  /** Seq of the input.resolved event. */
  seq: number;
};

export interface InputRequestHandle {
  requestId: string;
  /** Seq of the input.requested event. */
  seq: number;
  /** The outcome, taken only from the input.resolved event [INPUT-AGENT-1]. */
  resolution: Promise<InputResolution>;
}

/** What a session needs from its client. */
export interface SessionLink {
  readonly principal: string;
  readonly defaultRole: 'user' | 'agent';
  command(sid: string, type: string, data: Record<string, unknown>, opts?: CommandOptions): Promise<Ack>;
  resendFrom(id: string): boolean;
  request(type: string, data: Record<string, unknown>, opts?: RequestOptions): Promise<Reply>;
  online(): boolean;
  confirm(cid: string, sid: string, seq: number): void;
  setPresence(sid: string, status: PresenceStatus): Promise<void>;
  runOpened(): void;
  runClosed(): void;
  detach(session: Session): Promise<void>;
}
