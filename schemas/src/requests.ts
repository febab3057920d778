/**
 * Requests (tether/v1/requests/{principal}) and replies (tether/v1/replies/{principal}/{clientId}).
 * MQTT 3.1.1 has no response topic or correlation data, so both travel in the payload:
 * replyTo names the reply topic, and every reply carries re = the id it answers.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { REPLY_TYPES, REQUEST_TYPES, type ReplyType, type RequestType } from '../../protocol/constants.ts';
import { Id, OPEN_NAME_PATTERN, OpenErrorCode, ReplyTo, Role, Seq, SeqOrZero, Time, Version } from './common.ts';
import { EventEnvelope } from './events.ts';
import { SessionState, SessionIndexEntry } from './retained.ts';

const RequestId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  description: 'Client-chosen correlation id, echoed as re in the reply.',
});

const SearchCursor = Type.String({
  minLength: 1,
  maxLength: 512,
  description: 'Opaque: the next of a previous search.results page, for the same query; hits older than it.',
});

export const SearchHit = Type.Object(
  {
    sid: Id,
    seq: Seq,
    type: Type.String({ description: 'The event type: message or message.completed.' }),
    sender: Type.String(),
    time: Time,
    snippet: Type.String({
      maxLength: 1000,
      description: 'A short excerpt of the matched text around the matching words; never parsed.',
    }),
    title: Type.Optional(Type.String({ maxLength: 200, description: "The session's title, when it has one." })),
  },
  { description: 'One matching message event.' },
);

export const InboxItemIds = Type.Array(Id, { minItems: 1, maxItems: 100 });

export const RequestData = {
  'history.get': Type.Object(
    {
      sid: Id,
      after: Type.Optional(SeqOrZero),
      to: Type.Optional(Seq),
      limit: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 5000,
          description: "Maximum events in the page (default and upper bound: the host's maxHistoryPage, itself at most 5000).",
        }),
      ),
      compact: Type.Optional(
        Type.Boolean({
          description:
            'Allow the host to leave out the started/delta events of completed messages and to merge ' +
            'consecutive deltas of an open message (default true).',
        }),
      ),
    },
    {
      description:
        'Events with seq in (after, bound], oldest first, where bound is the lower of to and the head of the log. ' +
        'after defaults to 0, to to the head.',
    },
  ),
  'sessions.list': Type.Object(
    {
      status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    },
    { description: 'The sessions the requester participates in.' },
  ),
  'inbox.list': Type.Object(
    { agentId: Id, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
    { description: 'Peek at pending items (including deferred items whose time has come).' },
  ),
  'inbox.ack': Type.Object({ agentId: Id, itemIds: InboxItemIds }, { description: 'Mark items done.' }),
  'inbox.archive': Type.Object(
    { agentId: Id, itemIds: InboxItemIds, reason: Type.String({ minLength: 1, maxLength: 500 }) },
    { description: 'Drop items from attention, with the reason recorded.' },
  ),
  'inbox.defer': Type.Object({ agentId: Id, itemIds: InboxItemIds, until: Time }, { description: 'Hide items until the given time.' }),
  search: Type.Object(
    {
      query: Type.String({
        minLength: 1,
        maxLength: 256,
        description:
          'Plain words, never a query language: every word must occur in a hit, the last one as a prefix. ' +
          'Words are runs of letters and digits; everything else (quotes, *, -, parentheses, emoji) only ' +
          'separates them. A query without any word is SCHEMA_INVALID (HOST-SEARCH-4).',
      }),
      sid: Type.Optional(Id),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'Most hits in the page (default 10).' })),
      before: Type.Optional(SearchCursor),
    },
    {
      description:
        'Full-text search over the message text of the sessions the requester participates in (or of one of ' +
        'them, sid), newest first. An optional request: a host without the `search` feature answers UNKNOWN_TYPE.',
    },
  ),
} as const satisfies Record<RequestType, TSchema>;

export { REPLY_TYPES, REQUEST_TYPES, type ReplyType, type RequestType };

function requestOf<K extends RequestType>(type: K) {
  return Type.Object(
    { v: Version, id: RequestId, type: Type.Literal(type), replyTo: ReplyTo, data: RequestData[type] },
    { description: `Request ${type}.` },
  );
}

export const RequestEnvelope = Type.Object(
  {
    v: Version,
    id: RequestId,
    type: Type.String({ minLength: 1, maxLength: 64 }),
    replyTo: ReplyTo,
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { description: 'The shape shared by every request.' },
);

export const Request = Type.Union(
  REQUEST_TYPES.map((t) => requestOf(t)),
  { description: 'A request published on tether/v1/requests/{principal} (QoS 1, not retained).' },
);
export type Request = Static<typeof Request>;

export const InboxItem = Type.Object(
  {
    itemId: Id,
    sid: Id,
    seq: Seq,
    kind: Type.String({
      pattern: OPEN_NAME_PATTERN,
      description:
        'Why the item is in the inbox; an open list. Defined in 1.0: session.assigned, message, steer, ' +
        'run.cancel_requested, input.resolved. An agent handles an item of a kind it does not know as an item ' +
        'pointing at the event at sid and seq (VER-COMPAT-4).',
    }),
    createdAt: Time,
    deferredUntil: Type.Optional(Time),
    summary: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'A short excerpt for people and logs (title, message or steer text); never parsed.',
      }),
    ),
  },
  { description: 'A unit of pending work for an agent, pointing at the event that caused it.' },
);
export type InboxItem = Static<typeof InboxItem>;

export const ReplyData = {
  ack: Type.Object(
    {
      sid: Id,
      seq: Seq,
      duplicate: Type.Boolean({ description: 'true when the command id was seen before; seq is the original one.' }),
    },
    { description: 'The command is durably in the log at seq.' },
  ),
  error: Type.Object(
    {
      code: OpenErrorCode,
      rule: Type.Optional(Type.String({ description: 'Requirement ID of the spec rule that was enforced.' })),
      message: Type.String({ maxLength: 2000 }),
      sid: Type.Optional(Id),
      details: Type.Optional(Type.Unknown()),
    },
    { description: 'The command or request was refused; nothing was appended.' },
  ),
  'history.page': Type.Object(
    {
      sid: Id,
      from: SeqOrZero,
      to: SeqOrZero,
      headSeq: SeqOrZero,
      events: Type.Array(EventEnvelope),
      more: Type.Boolean({ description: 'true when events after to exist up to the requested bound.' }),
      reset: Type.Optional(
        Type.Object(
          {
            atSeq: SeqOrZero,
            state: SessionState,
          },
          {
            description:
              'Present when the cursor is older than retention ("cursor expired"): the client replaces its ' +
              'state with this snapshot at atSeq; the page then covers (atSeq, max(atSeq, bound)].',
          },
        ),
      ),
    },
    {
      description:
        'Events covering seqs from+1 .. to. With compaction some seqs in that range have no event of their ' +
        'own; the page still covers them.',
    },
  ),
  'sessions.page': Type.Object({ sessions: Type.Array(SessionIndexEntry) }, { description: 'Sessions of the requester.' }),
  'inbox.page': Type.Object(
    { agentId: Id, items: Type.Array(InboxItem), pending: Type.Integer({ minimum: 0 }) },
    { description: 'Pending inbox items, oldest first.' },
  ),
  'search.results': Type.Object(
    {
      hits: Type.Array(SearchHit, { maxItems: 50 }),
      next: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 512,
          description: 'Present when older hits may exist: pass it as before to get the next page.',
        }),
      ),
    },
    { description: 'Search hits, newest first (by event time, then sid, then seq, all descending).' },
  ),
  ok: Type.Object(
    { affected: Type.Integer({ minimum: 0, description: 'How many items the verb changed.' }) },
    { description: 'A verb without other result succeeded.' },
  ),
} as const satisfies Record<ReplyType, TSchema>;

function replyOf<K extends ReplyType>(type: K) {
  return Type.Object(
    {
      v: Version,
      type: Type.Literal(type),
      re: Type.String({
        maxLength: 128,
        description:
          'The id of the command or request this answers; the empty string when that id was missing, not a ' +
          'string, or longer than 128 characters (ENV-RE-1).',
      }),
      data: ReplyData[type],
    },
    { description: `Reply ${type}.` },
  );
}

export const Reply = Type.Union(
  REPLY_TYPES.map((t) => replyOf(t)),
  { description: "A reply published by the host on the requester's replyTo topic (QoS 1, not retained)." },
);
export type Reply = Static<typeof Reply>;
export { Role };
/** The `data` of one request type. */
export type RequestDataOf<K extends RequestType> = Static<(typeof RequestData)[K]>;
/** The `data` of one reply type. */
export type ReplyDataOf<K extends ReplyType> = Static<(typeof ReplyData)[K]>;
/** A request envelope of any type, before its data is narrowed. */
export type RequestEnvelopeT = Static<typeof RequestEnvelope>;
/** The one shape of a history query: the data of `history.get` [HOST-HISTORY-1]. */
export type HistoryQuery = RequestDataOf<'history.get'>;
