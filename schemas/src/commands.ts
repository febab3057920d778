/**
 * Commands: what a participant publishes on tether/v1/sessions/{sid}/submit/{principal}.
 * Each accepted command becomes exactly one event in the session log (see events.ts).
 */
import Type, { type Static, type TSchema } from 'typebox';
import { COMMAND_TYPES, type CommandType } from '../../protocol/constants.ts';
import { Id, JsonPart, MessageRole, Participant, Parts, Principal, ReplyTo, Role, Seq, Time, Version } from './common.ts';

const RunStatus = Type.Union([Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')], {
  description: 'How a run ended.',
});
const StreamStatus = Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('cancelled')], {
  description: 'How a token stream ended.',
});
export const Risk = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')], {
  description: 'How much is at stake if the request is answered wrongly; clients may render it.',
});
export const OnTimeout = Type.Union(
  [
    Type.Object(
      { policy: Type.Literal('default'), value: Type.Unknown({ description: 'The answer applied at the deadline.' }) },
      { description: 'At the deadline the host resolves the request with this value.' },
    ),
    Type.Object({ policy: Type.Literal('fail') }, { description: 'At the deadline the host resolves the request as failed.' }),
    Type.Object({ policy: Type.Literal('wait') }, { description: 'The deadline is advisory: the request stays open.' }),
  ],
  { description: 'What the host does when the deadline passes without an answer.' },
);

/** Data of each command type, keyed by the command type. */
export const CommandData = {
  'session.create': Type.Object(
    {
      title: Type.Optional(Type.String({ maxLength: 200, description: 'Human-readable title.' })),
      participants: Type.Optional(
        Type.Array(Participant, {
          maxItems: 64,
          description: 'Other participants; the creator is always added as owner.',
        }),
      ),
      metadata: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { description: 'Free-form metadata.' })),
    },
    { description: 'Create the session named by the topic. Becomes session.created at seq 1.' },
  ),
  'session.close': Type.Object(
    { reason: Type.Optional(Type.String({ maxLength: 500 })) },
    { description: 'Close the session; later commands get SESSION_CLOSED.' },
  ),
  'participant.add': Type.Object(
    { principal: Principal, role: Role },
    { description: 'Add a participant (or change its role). Owner only.' },
  ),
  'participant.remove': Type.Object({ principal: Principal }, { description: 'Remove a participant. Owner only.' }),
  'message.send': Type.Object(
    { msgId: Id, role: MessageRole, parts: Parts, replyToSeq: Type.Optional(Seq) },
    { description: 'A complete message.' },
  ),
  'message.start': Type.Object(
    { msgId: Id, role: MessageRole, runId: Type.Optional(Id) },
    { description: 'Open a token stream for message msgId.' },
  ),
  'message.delta': Type.Object(
    {
      msgId: Id,
      i: Type.Integer({ minimum: 0, description: 'Chunk index within the message, 0-based, contiguous.' }),
      text: Type.String({ maxLength: 65536, description: 'Text appended by this chunk (one or more tokens).' }),
    },
    { description: 'A chunk of an open token stream.' },
  ),
  'message.complete': Type.Object(
    {
      msgId: Id,
      status: Type.Optional(StreamStatus),
      parts: Type.Optional(Parts),
      error: Type.Optional(Type.String({ maxLength: 1000 })),
    },
    {
      description:
        'Close a token stream. parts, when given, replaces the concatenated text as the final content; ' +
        'otherwise the host composes one text part from the chunks.',
    },
  ),
  'run.start': Type.Object(
    { runId: Id, title: Type.Optional(Type.String({ maxLength: 200 })) },
    { description: 'An agent starts a unit of work.' },
  ),
  'run.finish': Type.Object(
    {
      runId: Id,
      status: RunStatus,
      summary: Type.Optional(Type.String({ maxLength: 160, description: 'Short result text, republished compactly for devices.' })),
      error: Type.Optional(Type.String({ maxLength: 1000 })),
    },
    { description: 'An agent ends a run.' },
  ),
  'run.cancel': Type.Object(
    { runId: Id, reason: Type.Optional(Type.String({ maxLength: 500 })) },
    { description: 'Ask the agent to cancel a run. The agent confirms with run.finish status cancelled.' },
  ),
  steer: Type.Object(
    { runId: Type.Optional(Id), text: Type.String({ minLength: 1, maxLength: 8000 }) },
    { description: 'Steering guidance; it supersedes every earlier steer for the same run.' },
  ),
  'steer.apply': Type.Object({ steerSeq: Seq }, { description: 'The agent confirms it applied the steer event at steerSeq.' }),
  'input.request': Type.Object(
    {
      requestId: Id,
      prompt: Type.String({ minLength: 1, maxLength: 4000 }),
      answerSchema: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), {
          description:
            'A JSON Schema (draft 2020-12) an answer must satisfy, using only the keywords of the answer-schema ' +
            'subset of spec/v1/input-steer-runs.md; format is an annotation only.',
        }),
      ),
      deadline: Type.Optional(Time),
      onTimeout: Type.Optional(OnTimeout),
      risk: Type.Optional(Risk),
      to: Type.Optional(
        Type.Array(Principal, {
          minItems: 1,
          maxItems: 64,
          description: 'Only these principals may answer; default: owner, member, approver.',
        }),
      ),
      runId: Type.Optional(Id),
    },
    { description: 'Ask humans for input.' },
  ),
  'input.answer': Type.Object(
    { requestId: Id, value: Type.Unknown({ description: 'The answer; must satisfy the answerSchema.' }) },
    { description: 'Answer an open input request. The first valid answer wins.' },
  ),
} as const satisfies Record<CommandType, TSchema>;

export { COMMAND_TYPES, type CommandType };

function commandOf<K extends CommandType>(type: K) {
  return Type.Object(
    {
      v: Version,
      id: Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
        description:
          'Client-chosen command id, never used before in the session by any connection or device of the same ' +
          'principal (e.g. a ULID, or {clientId}:{counter} with a counter that survives restarts). A retry ' +
          'reuses it: it is the idempotency key (ENV-ID-1).',
      }),
      type: Type.Literal(type),
      replyTo: Type.Optional(ReplyTo),
      data: CommandData[type],
    },
    { description: `Command ${type}.` },
  );
}

export const CommandEnvelope = Type.Object(
  {
    v: Version,
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }),
    type: Type.String({ minLength: 1, maxLength: 64 }),
    replyTo: Type.Optional(ReplyTo),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { description: 'The shape shared by every command, checked before the type-specific schema.' },
);

export const Command = Type.Union(
  COMMAND_TYPES.map((t) => commandOf(t)),
  { description: 'A command published on tether/v1/sessions/{sid}/submit/{principal} (QoS 1, not retained).' },
);
export type Command = Static<typeof Command>;
export type CommandOf<K extends CommandType> = Static<ReturnType<typeof commandOf<K>>>;

export { JsonPart };
/** The `data` of one command type, as the code that handles it sees it. */
export type CommandDataOf<K extends CommandType> = Static<(typeof CommandData)[K]>;
/** A command envelope of any type, before its data is narrowed. */
export type CommandEnvelopeT = Static<typeof CommandEnvelope>;
