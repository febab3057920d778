/**
 * Building blocks shared by every Tether v1 message. TypeBox is the single source
 * of truth: `npm run schemas` turns these into the JSON Schema files in `schemas/v1/`.
 */
import Type, { type Static } from 'typebox';
import { ERROR_CODES, HOST_SENDER, ID_MAX_LENGTH, ID_PATTERN, PROTOCOL_MAJOR } from '../../protocol/constants.ts';

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

export const Time = Type.String({
  format: 'date-time',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$',
  maxLength: 40,
  description: 'An RFC 3339 timestamp in UTC, e.g. 2026-11-27T10:00:00.000Z.',
});

export const Role = Type.Union(
  [
    Type.Literal('owner'),
    Type.Literal('member'),
    Type.Literal('viewer'),
    Type.Literal('approver'),
    Type.Literal('agent'),
  ],
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

export const MessageRole = Type.Union(
  [Type.Literal('user'), Type.Literal('agent'), Type.Literal('system'), Type.Literal('tool')],
  { description: 'Conversational role of a message, independent of the sender principal.' },
);

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
export const Part = Type.Union([TextPart, JsonPart, ToolCallPart, ToolResultPart], {
  description: 'One content part of a message, discriminated by kind.',
});
export type Part = Static<typeof Part>;

export const Parts = Type.Array(Part, { minItems: 1, maxItems: 64, description: 'Message content parts, in order.' });



export const ErrorCodeSchema = Type.Union(
  ERROR_CODES.map((c) => Type.Literal(c)),
  { description: 'A stable wire error code; see the error table in the spec.' },
);

export const ReplyTo = Type.String({
  pattern: '^tether/v1/replies/[A-Za-z0-9][A-Za-z0-9._-]{0,63}/[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  maxLength: 200,
  description:
    'Topic the host sends the reply to (what MQTT 5 calls the Response Topic). It MUST be ' +
    'tether/v1/replies/{principal}/{clientId} where {principal} is the sender itself.',
});
