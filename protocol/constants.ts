/**
 * Protocol v1 constants: plain values shared by the TypeBox schema sources, the host, the clients
 * and the conformance suite. Nothing here imports TypeBox, so runtime code stays light.
 */

/** Protocol major version carried in every payload and in every topic (`tether/v1/...`). */
export const PROTOCOL_MAJOR = 1 as const;
/** Minor version of this schema set; a host advertises it in its birth. */
export const PROTOCOL_VERSION = '1.0' as const;
export const TOPIC_ROOT = 'tether/v1' as const;
export const SCHEMA_ID_PREFIX = 'urn:tether:v1:' as const;

/** Pattern of every identifier that may appear in a topic level (ID-ALPHABET-1). */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const ID_MAX_LENGTH = 64;

/** The sender of a host-originated event: `@host`, which no principal can spell. */
export const HOST_SENDER = '@host' as const;

/** Largest whole payload of a Notification or Result, for constrained devices. */
export const DEVICE_PAYLOAD_MAX = 256;

/**
 * Stable wire error codes. The spec's error table (spec/v1/errors.md) lists the same codes;
 * test/error-codes.test.ts checks both directions.
 */
export const ERROR_CODES = [
  'BAD_JSON',
  'SCHEMA_INVALID',
  'VERSION_UNSUPPORTED',
  'UNKNOWN_TYPE',
  'BAD_TOPIC',
  'REPLY_TO_INVALID',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'LIMIT_EXCEEDED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_PARTICIPANT',
  'SESSION_NOT_FOUND',
  'SESSION_EXISTS',
  'SESSION_CLOSED',
  'STREAM_NOT_OPEN',
  'STREAM_OUT_OF_ORDER',
  'RUN_NOT_FOUND',
  'INPUT_NOT_FOUND',
  'STEER_NOT_FOUND',
  'CONFLICT',
  'ANSWER_INVALID',
  'INBOX_ITEM_NOT_FOUND',
  'ID_REUSED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Event type produced by each command type. */
export const EVENT_OF_COMMAND = {
  'session.create': 'session.created',
  'session.close': 'session.closed',
  'participant.add': 'participant.joined',
  'participant.remove': 'participant.left',
  'message.send': 'message',
  'message.start': 'message.started',
  'message.delta': 'message.delta',
  'message.complete': 'message.completed',
  'run.start': 'run.started',
  'run.finish': 'run.finished',
  'run.cancel': 'run.cancel_requested',
  steer: 'steer',
  'steer.apply': 'steer.applied',
  'input.request': 'input.requested',
  'input.answer': 'input.resolved',
} as const;

export type CommandType = keyof typeof EVENT_OF_COMMAND;
export const COMMAND_TYPES = Object.keys(EVENT_OF_COMMAND) as CommandType[];

export const REQUEST_TYPES = ['history.get', 'sessions.list', 'inbox.list', 'inbox.ack', 'inbox.archive', 'inbox.defer', 'search'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export const REPLY_TYPES = ['ack', 'error', 'history.page', 'sessions.page', 'inbox.page', 'ok', 'search.results'] as const;
export type ReplyType = (typeof REPLY_TYPES)[number];
