/**
 * Events: the sequenced session log. The host publishes them on tether/v1/sessions/{sid}/events
 * inside an EventBatch (QoS 1, not retained), and returns them in history pages.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { CommandData, OnTimeout, Risk } from './commands.ts';
import { Id, MessageRole, Participant, Parts, Principal, Sender, Seq, Time, Version } from './common.ts';

export const EventData = {
  'session.created': Type.Object(
    {
      title: Type.Optional(Type.String({ maxLength: 200 })),
      participants: Type.Array(Participant, { description: 'All participants, creator first as owner.' }),
      metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { description: 'Always the event at seq 1.' },
  ),
  'session.closed': CommandData['session.close'],
  'participant.joined': CommandData['participant.add'],
  'participant.left': CommandData['participant.remove'],
  message: CommandData['message.send'],
  'message.started': CommandData['message.start'],
  'message.delta': Type.Object(
    {
      msgId: Id,
      i: Type.Integer({ minimum: 0, description: 'Index of the first chunk in this event.' }),
      n: Type.Optional(
        Type.Integer({
          minimum: 2,
          description:
            'Present only in history pages: this event merges n consecutive chunks (i .. i+n-1) whose ' +
            "seqs end at this event's seq. Live events carry one chunk and omit n.",
        }),
      ),
      text: Type.String(),
    },
    { description: 'Text appended to the open message msgId.' },
  ),
  'message.completed': Type.Object(
    {
      msgId: Id,
      role: MessageRole,
      status: Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('cancelled')]),
      parts: Parts,
      chunks: Type.Integer({ minimum: 0, description: 'Number of chunks the stream had.' }),
      startedSeq: Seq,
      error: Type.Optional(Type.String()),
    },
    {
      description:
        'The stream is closed. parts is the final, complete content, so a client that missed the deltas ' + 'needs nothing else.',
    },
  ),
  'run.started': CommandData['run.start'],
  'run.finished': CommandData['run.finish'],
  'run.cancel_requested': CommandData['run.cancel'],
  steer: Type.Object(
    {
      runId: Type.Optional(Id),
      text: Type.String(),
      supersedes: Type.Optional(Seq),
    },
    { description: 'Steering guidance; supersedes is the seq of the earlier steer (same runId) it replaces.' },
  ),
  'steer.applied': Type.Object(
    { steerSeq: Seq },
    { description: "The agent applied the steer at steerSeq; this event's own seq is where it took effect." },
  ),
  'input.requested': Type.Object(
    {
      requestId: Id,
      prompt: Type.String(),
      answerSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      deadline: Type.Optional(Time),
      onTimeout: OnTimeout,
      risk: Risk,
      to: Type.Optional(Type.Array(Principal)),
      runId: Type.Optional(Id),
    },
    { description: 'An open input request; onTimeout and risk are filled with their defaults (wait, low).' },
  ),
  'input.resolved': Type.Object(
    {
      requestId: Id,
      outcome: Type.Union([Type.Literal('answered'), Type.Literal('default'), Type.Literal('failed')]),
      value: Type.Optional(Type.Unknown()),
      decidedBy: Type.Union([Type.Literal('person'), Type.Literal('timeout')]),
      by: Sender,
      requestSeq: Seq,
    },
    { description: 'The request is closed: answered by a person, or decided by the host at the deadline.' },
  ),
} as const satisfies Record<string, TSchema>;

export type EventType = keyof typeof EventData;
export const EVENT_TYPES = Object.keys(EventData) as EventType[];

const eventFields = {
  v: Version,
  sid: Id,
  seq: Seq,
  time: Time,
  sender: Sender,
  cid: Type.Optional(Type.String({ maxLength: 128, description: 'Id of the command that produced the event; absent for host events.' })),
};

function eventOf<K extends EventType>(type: K) {
  return Type.Object({ ...eventFields, type: Type.Literal(type), data: EventData[type] }, { description: `Event ${type}.` });
}

export const EventEnvelope = Type.Object(
  { ...eventFields, type: Type.String({ minLength: 1, maxLength: 64 }), data: Type.Record(Type.String(), Type.Unknown()) },
  {
    description:
      'The shape shared by every event. A receiver validates this first; an event whose type it does not ' +
      'know is still delivered in order (it advances the seq) and passed on, never dropped.',
  },
);
export type EventEnvelope = Static<typeof EventEnvelope>;

export const Event = Type.Union(
  EVENT_TYPES.map((t) => eventOf(t)),
  { description: 'Any event of this protocol version.' },
);
export type Event = Static<typeof Event>;

export const EventBatch = Type.Object(
  {
    v: Version,
    sid: Id,
    events: Type.Array(EventEnvelope, {
      minItems: 1,
      maxItems: 1000,
      description: 'Events of this session with contiguous, strictly increasing seq.',
    }),
  },
  { description: 'Payload of tether/v1/sessions/{sid}/events: one or more consecutive events.' },
);
export type EventBatch = Static<typeof EventBatch>;
/** The `data` of one event type. */
export type EventDataOf<K extends EventType> = Static<(typeof EventData)[K]>;
