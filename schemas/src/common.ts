/**
 * Building blocks shared by every Tether v1 message. TypeBox is the single source
 * of truth: `npm run schemas` turns these into the JSON Schema files in `schemas/v1/`.
 */
import Type, { type Static } from 'typebox';
import { ERROR_CODES, ID_MAX_LENGTH, ID_PATTERN, PROTOCOL_MAJOR } from '../../protocol/constants.ts';

export * from '../../protocol/constants.ts';

export const Version = Type.Literal(PROTOCOL_MAJOR, {
  description: 'Protocol major version. Always 1 for this schema set.',
});

export const Id = Type.String({
  pattern: ID_PATTERN,
  minLength: 1,
  maxLength: ID_MAX_LENGTH,
  description:
    'An identifier: 1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit. ' +
    'It can never contain /, +, # or $, so it can never add or match a topic level.',
});

export const Principal = Type.String({
  pattern: ID_PATTERN,
  minLength: 1,
  maxLength: ID_MAX_LENGTH,
  description: 'A principal name (a person, an agent or a device owner), same alphabet as every Id.',
});

export const Sender = Type.String({
  pattern: '^(@host|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$',
  description:
    'Who caused the event: the principal taken from the submit topic the command arrived on ' +
    '(never from the command payload), or "@host" for events the host originates (timeouts).',
});

export const Seq = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Per-session sequence number assigned by the host: 1, 2, 3, ... with no gap and no wraparound.',
});

export const SeqOrZero = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'A sequence number, or 0 for "before the first event".',
});

const TIME_DESCRIPTION =
  'An RFC 3339 timestamp in UTC written YYYY-MM-DDTHH:MM:SS[.fraction]Z: upper-case T and Z, at most 9 ' +
  'fraction digits, never a numeric offset (not even +00:00), e.g. 2026-11-27T10:00:00.000Z.';

/** A UTC timestamp; `meaning` says what the time is, before the format rules. */
export function TimeOf(meaning?: string) {
  return Type.String({
    format: 'date-time',
    pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$',
    maxLength: 40,
    description: meaning ? `${meaning} ${TIME_DESCRIPTION}` : TIME_DESCRIPTION,
  });
}

export const Time = TimeOf();

export const Epoch = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description:
    'Liveness epoch: a new, higher value for every MQTT connection of the publisher (every CONNECT, also a ' +
    'reconnect), the same in the birth and the Will of that connection (LIVE-EPOCH-1). A state with a lower ' +
    'epoch than the highest seen on its topic is stale. Parse it as a 64-bit integer.',
});

/**
 * Values of an open list (notification k, inbox item kind): lower-case names that a later 1.x may add to.
 * Receivers accept an unknown value and handle it generically (VER-COMPAT-4).
 */
export const OPEN_NAME_PATTERN = '^[a-z][a-z0-9._-]{0,31}$';
/** Error codes as they may appear in an error reply: the 1.0 codes or a code a later 1.x adds. */
export const OPEN_ERROR_CODE_PATTERN = '^[A-Z][A-Z0-9_]{0,39}$';

export const Role = Type.Union(
  [Type.Literal('owner'), Type.Literal('member'), Type.Literal('viewer'), Type.Literal('approver'), Type.Literal('agent')],
  {
    description:
      'Participant role. owner: everything; member: send, steer, cancel, answer; ' +
      'approver: read and answer input requests; viewer: read only; agent: send, stream, runs, ask.',
  },
);
export type Role = Static<typeof Role>;

export const Participant = Type.Object(
  {
    principal: Principal,
    role: Role,
  },
  { description: 'A participant of a session and its role.' },
);
export type Participant = Static<typeof Participant>;

export const MessageRole = Type.Union([Type.Literal('user'), Type.Literal('agent'), Type.Literal('system'), Type.Literal('tool')], {
  description: 'Conversational role of a message, independent of the sender principal.',
});

export const TextPart = Type.Object(
  { kind: Type.Literal('text'), text: Type.String({ maxLength: 1048576 }) },
  { description: 'Plain text content.' },
);
export const JsonPart = Type.Object(
  { kind: Type.Literal('json'), value: Type.Unknown({ description: 'Any JSON value.' }) },
  { description: 'Structured JSON content.' },
);
export const ToolCallPart = Type.Object(
  {
    kind: Type.Literal('tool_call'),
    callId: Id,
    name: Type.String({ minLength: 1, maxLength: 128 }),
    arguments: Type.Unknown({ description: 'Tool arguments (JSON).' }),
  },
  { description: 'A tool invocation requested by an agent.' },
);
export const ToolResultPart = Type.Object(
  {
    kind: Type.Literal('tool_result'),
    callId: Id,
    result: Type.Unknown({ description: 'Tool result (JSON).' }),
    isError: Type.Optional(Type.Boolean()),
  },
  { description: 'The result of a tool call, matched by callId.' },
);
/** The part kinds defined by protocol 1.0; `kind` is an open list (versioning.md). */
export const KNOWN_PART_KINDS = ['text', 'json', 'tool_call', 'tool_result'] as const;

export const OtherPart = Type.Object(
  {
    kind: Type.Unsafe<string>({
      type: 'string',
      minLength: 1,
      maxLength: 64,
      not: { enum: [...KNOWN_PART_KINDS] },
      description: 'A part kind this version does not define.',
    }),
  },
  {
    description:
      'A content part of a kind added by a later 1.x. Receivers keep it in its place and show a placeholder ' +
      'for it, never reject the message (VER-COMPAT-2, VER-COMPAT-4); its other fields are not known here.',
  },
);
export const Part = Type.Union([TextPart, JsonPart, ToolCallPart, ToolResultPart, OtherPart], {
  description:
    'One content part of a message, discriminated by kind. The four kinds of 1.0 are checked in full; ' +
    'a part of any other kind is accepted as a part of a later version.',
});
export type Part = Static<typeof Part>;

export const Parts = Type.Array(Part, { minItems: 1, maxItems: 64, description: 'Message content parts, in order.' });

export const ErrorCodeSchema = Type.Union(
  ERROR_CODES.map((c) => Type.Literal(c)),
  {
    description:
      'The wire error codes of protocol 1.0 (the error table of spec/v1/errors.md). A later 1.x may add ' +
      'codes, so an error reply carries any code matching ' +
      OPEN_ERROR_CODE_PATTERN +
      ' (see Reply).',
  },
);

export const OpenErrorCode = Type.String({
  pattern: OPEN_ERROR_CODE_PATTERN,
  description:
    'One of the codes in the ErrorCode schema, or a newer one. A receiver treats a code it does not know as a ' +
    'final refusal and passes its message on (ERR-CODE-2).',
});

export const ReplyTo = Type.String({
  pattern: '^tether/v1/replies/[A-Za-z0-9][A-Za-z0-9._-]{0,63}/[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  maxLength: 200,
  description:
    'Topic the host sends the reply to (what MQTT 5 calls the Response Topic). It MUST be ' +
    'tether/v1/replies/{principal}/{clientId} where {principal} is the sender itself.',
});
