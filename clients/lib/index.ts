/**
 * The Tether client library, browser-safe entry: nothing here imports a Node built-in.
 * Node programs that want a file-backed lastSeq store import `./node.ts` instead.
 */
export { TetherClient } from './client.ts';
export type { ClientOptions, ClientEvents, Notification } from './client-options.ts';
export { Session } from './session.ts';
export type { JoinOptions, SendOptions, AskOptions, InputRequestHandle, InputResolution, SessionEvents } from './session-types.ts';
export {
  SessionFeed,
  parseHistoryPage,
  isEventEnvelope,
  type FeedItem,
  type HistoryPage,
  type HistoryQuery,
  type SessionFeedOptions,
  type FeedDeps,
} from './session-feed.ts';
export { MessageFold, type MessageView, type MessageStatus } from './message-fold.ts';
export { StreamWriter, type StreamWriterOptions, type CompleteOptions } from './stream-writer.ts';
export { SessionIndex, type SessionIndexEvents } from './session-index.ts';
export { Inbox, type InboxPage, type Doorbell } from './inbox.ts';
export { EpochBoard, type AgentCard, type AgentStatus, type PresenceState, type PresenceStatus } from './liveness.ts';
export { MemorySeqStore, LocalStorageSeqStore, type SeqStore, type KeyValueStorage } from './seq-store.ts';
export { MqttTransport, type MqttTransportOptions, type WillMessage } from './mqtt-transport.ts';
export type { Transport, TransportEvents, ConnectionState } from './transport.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
export { TetherError, LIBRARY_ERROR_CODES, type LibraryErrorCode } from './errors.ts';
export type { Ack, CommandOptions } from './command-ledger.ts';
export type { Reply, RequestOptions } from './request-ledger.ts';
export { Emitter } from './emitter.ts';
export { newSessionId, newId } from './ids.ts';
