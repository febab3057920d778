/**
 * Retained state topics: snapshots a subscriber receives at once on subscribe.
 * The host republishes all of them from its store when it starts (HOST-SNAPSHOT-3).
 */
import Type, { type Static } from 'typebox';
import { Id, MessageRole, Participant, Principal, Role, Seq, SeqOrZero, Time, Version } from './common.ts';

export const Limits = Type.Object(
  {
    maxPayloadBytes: Type.Integer({ minimum: 1024 }),
    maxIdLength: Type.Integer({ minimum: 1 }),
    commandsPerSecond: Type.Integer({ minimum: 1 }),
    maxHistoryPage: Type.Integer({ minimum: 1 }),
    maxSessionsPerPrincipal: Type.Integer({ minimum: 1 }),
    retentionEvents: Type.Integer({ minimum: 0, description: 'Events kept per session; 0 means unlimited.' }),
  },
  { description: 'Limits the host enforces; exceeding one gets a typed error.' },
);
export type Limits = Static<typeof Limits>;

export const HostState = Type.Object(
  {
    v: Version,
    hostId: Id,
    status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    epoch: Type.Integer({ minimum: 1, description: 'Increases at every start; a state with a lower epoch is stale.' }),
    protocol: Type.String({ pattern: '^1\\.[0-9]+$', description: 'Protocol version the host speaks, major.minor.' }),
    software: Type.Optional(Type.String({ maxLength: 100 })),
    features: Type.Array(Type.String({ maxLength: 64 }), { description: 'Optional features the host supports.' }),
    limits: Limits,
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
export const OpenRun = Type.Object({ runId: Id, agent: Principal, startedSeq: Seq, title: Type.Optional(Type.String()) });
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
    title: Type.Optional(Type.String()),
    createdBy: Principal,
    createdAt: Time,
    updatedAt: Time,
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
    title: Type.Optional(Type.String()),
    createdBy: Principal,
    createdAt: Time,
    updatedAt: Time,
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
    epoch: Type.Integer({ minimum: 1 }),
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
    status: Type.Union([Type.Literal('online'), Type.Literal('busy'), Type.Literal('offline')]),
    epoch: Type.Integer({ minimum: 1 }),
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
    k: Type.Union([Type.Literal('session'), Type.Literal('input'), Type.Literal('result'), Type.Literal('closed')], {
      description: 'session: you were added to a session; input: your answer is wanted; result: a run finished; closed: session closed.',
    }),
    sid: Id,
    seq: Seq,
    t: Type.String({ maxLength: 120, description: 'Short human text, truncated by the host to fit.' }),
  },
  {
    description:
      'Published (QoS 1, not retained) on tether/v1/users/{principal}/notify. The whole payload is at most 256 bytes.',
  },
);

export const Result = Type.Object(
  {
    v: Version,
    sid: Id,
    seq: Seq,
    status: Type.Union([Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')]),
    t: Type.String({ maxLength: 160 }),
  },
  { description: 'Retained on tether/v1/results/{sid}: the latest run result, at most 256 bytes.' },
);

export { SeqOrZero };
