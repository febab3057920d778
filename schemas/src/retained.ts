/**
 * Retained state topics: snapshots a subscriber receives at once on subscribe.
 * The host republishes all of them from its store when it starts (HOST-SNAPSHOT-3).
 */
import Type, { type Static } from 'typebox';
import {
  Epoch,
  Id,
  TimeOf,
  MessageRole,
  OPEN_NAME_PATTERN,
  Participant,
  Principal,
  Role,
  Seq,
  SeqOrZero,
  Time,
  Version,
} from './common.ts';

const Title = Type.String({ maxLength: 200, description: 'The session title given at session.create.' });

export const Limits = Type.Object(
  {
    maxPayloadBytes: Type.Integer({ minimum: 1024 }),
    maxIdLength: Type.Integer({ minimum: 1 }),
    commandsPerSecond: Type.Integer({ minimum: 1 }),
    maxHistoryPage: Type.Integer({
      minimum: 1,
      maximum: 5000,
      description: 'Most events in one history page, and the default limit of history.get; at most 5000 in 1.0.',
    }),
    maxSessionsPerPrincipal: Type.Integer({ minimum: 1 }),
    retentionEvents: Type.Integer({ minimum: 0, description: 'Events kept per session; 0 means unlimited.' }),
    maxMessageBytes: Type.Optional(
      Type.Integer({
        minimum: 4096,
        description:
          'Largest payload the host publishes as an event batch or a reply (HOST-LIMIT-7), and the least every ' +
          'client must accept (CLIENT-LIMIT-2). 1048576 when absent.',
      }),
    ),
  },
  { description: 'Limits the host enforces; exceeding one gets a typed error.' },
);
export type Limits = Static<typeof Limits>;

export const HostState = Type.Object(
  {
    v: Version,
    hostId: Id,
    status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    epoch: Epoch,
    protocol: Type.String({ pattern: '^1\\.[0-9]+$', description: 'Protocol version the host speaks, major.minor.' }),
    software: Type.Optional(Type.String({ maxLength: 100 })),
    features: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,63}$' }), {
      description: 'Optional features the host supports; names are lower-case letters, digits, . and -. Unknown names are ignored.',
    }),
    limits: Limits,
    embedded: Type.Optional(
      Type.Boolean({
        description:
          'true when the host runs inside the broker process without an MQTT connection of its own: it has no Will (HOST-EMBED-1).',
      }),
    ),
    time: Time,
  },
  { description: 'Retained on tether/v1/host/{hostId}/state: birth (online) and Will/shutdown (offline).' },
);
export type HostState = Static<typeof HostState>;

export const OpenMessage = Type.Object({
  msgId: Id,
  sender: Principal,
  role: MessageRole,
  startedSeq: Seq,
  runId: Type.Optional(Id),
});
export const OpenRun = Type.Object({ runId: Id, agent: Principal, startedSeq: Seq, title: Type.Optional(Type.String({ maxLength: 200 })) });
export const OpenInput = Type.Object({
  requestId: Id,
  seq: Seq,
  prompt: Type.String(),
  deadline: Type.Optional(Time),
  risk: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
});

export const SessionState = Type.Object(
  {
    v: Version,
    sid: Id,
    headSeq: SeqOrZero,
    status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    title: Type.Optional(Title),
    createdBy: Principal,
    createdAt: Time,
    updatedAt: TimeOf('The time of the event at headSeq.'),
    participants: Type.Array(Participant),
    openMessages: Type.Array(OpenMessage),
    openRuns: Type.Array(OpenRun),
    openInputs: Type.Array(OpenInput),
    lastSteerSeq: Type.Optional(Seq),
  },
  { description: 'Retained on tether/v1/sessions/{sid}/state: the session at headSeq.' },
);
export type SessionState = Static<typeof SessionState>;

export const SessionIndexEntry = Type.Object(
  {
    v: Version,
    sid: Id,
    role: Role,
    status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    title: Type.Optional(Title),
    createdBy: Principal,
    createdAt: Time,
    updatedAt: TimeOf(
      'The time of the latest event of the session when the entry was produced. A retained entry is republished ' +
        'only when the index changes (CMD-INDEX-1), so it may lag; sessions.list returns current values.',
    ),
  },
  {
    description:
      'Retained on tether/v1/users/{principal}/sessions/{sid}: one entry per session the principal takes part in. ' +
      'An empty retained payload on that topic means the principal was removed.',
  },
);
export type SessionIndexEntry = Static<typeof SessionIndexEntry>;

export const Presence = Type.Object(
  {
    v: Version,
    status: Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('offline')]),
    epoch: Epoch,
    time: Time,
  },
  { description: 'Retained on tether/v1/sessions/{sid}/presence/{principal}/{device}, published by that device; Will = offline.' },
);

export const AgentSkill = Type.Object({
  id: Id,
  name: Type.String({ maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }))),
});

export const AgentState = Type.Object(
  {
    v: Version,
    agentId: Id,
    status: Type.Union([Type.Literal('online'), Type.Literal('busy'), Type.Literal('degraded'), Type.Literal('offline')], {
      description: 'online: idle and ready; busy: a run is open; degraded: connected but unable to work (see reason); offline.',
    }),
    reason: Type.Optional(
      Type.String({ maxLength: 200, description: 'Why the agent is degraded (e.g. its model endpoint does not answer), for people.' }),
    ),
    epoch: Epoch,
    time: Time,
    card: Type.Object(
      {
        name: Type.String({ maxLength: 100 }),
        description: Type.Optional(Type.String({ maxLength: 2000 })),
        version: Type.Optional(Type.String({ maxLength: 50 })),
        skills: Type.Array(AgentSkill, { maxItems: 64 }),
        capabilities: Type.Object({
          streaming: Type.Boolean(),
          inputRequests: Type.Boolean(),
          steering: Type.Boolean(),
          cancel: Type.Boolean(),
        }),
      },
      { description: 'Shaped on the A2A AgentCard fields.' },
    ),
  },
  { description: 'Retained on tether/v1/agents/{agentId}/state: agent birth/status with epoch; Will = offline.' },
);
export type AgentState = Static<typeof AgentState>;

export const InboxDoorbell = Type.Object(
  {
    v: Version,
    agentId: Id,
    pending: Type.Integer({ minimum: 0 }),
    time: Time,
  },
  { description: 'Retained on tether/v1/agents/{agentId}/inbox: how many items wait; content is pulled with inbox.list.' },
);

export const Notification = Type.Object(
  {
    v: Version,
    k: Type.String({
      pattern: OPEN_NAME_PATTERN,
      description:
        'What happened; an open list. Defined in 1.0: session (you were added to a session), input (your answer ' +
        'is wanted), result (a run finished), closed (the session was closed). A later 1.x may add kinds: a ' +
        'device ignores a k it does not know (DEVICE-KIND-1), a client handles it generically (VER-COMPAT-4).',
    }),
    sid: Id,
    seq: Seq,
    t: Type.String({
      maxLength: 120,
      description: 'Short human text of at most 120 Unicode code points, shortened by the host to fit (DEVICE-SIZE-1).',
    }),
  },
  {
    description: 'Published (QoS 1, not retained) on tether/v1/users/{principal}/notify. The whole payload is at most 256 bytes.',
  },
);

export const Result = Type.Object(
  {
    v: Version,
    sid: Id,
    seq: Seq,
    status: Type.Union([Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')]),
    t: Type.String({
      maxLength: 160,
      description: 'The run summary (or its status) in at most 160 Unicode code points, shortened by the host to fit.',
    }),
  },
  { description: 'Retained on tether/v1/results/{sid}: the latest run result, at most 256 bytes.' },
);

export { SeqOrZero };
