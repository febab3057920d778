/**
 * Types of what the suite receives from an implementation under test. Nothing received is trusted:
 * an `Observed<T>` is a T in which every field at every depth may be missing (or hold another value),
 * so a check reads it with `?.`, compares, and asserts the shape it needs itself, or runs the generated
 * validator (protocol/validate.ts) where the verdict is about the shape. Unions are merged (a field of
 * any variant may be read) and literal types widened, since an implementation may send any value.
 */
import type { Static } from 'typebox';
import type {
  AgentState,
  CommandDataOf,
  EventDataOf,
  EventEnvelope,
  EventType,
  HostState,
  InboxDoorbell,
  Notification,
  Presence,
  ReplyDataOf,
  RequestDataOf,
  Result,
  SessionIndexEntry,
  SessionState,
} from '../../schemas/src/index.ts';
import type { CommandType, ReplyType, RequestType } from '../../protocol/constants.ts';

type Primitive = string | number | boolean | bigint | symbol | null | undefined;
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;
type ArraysOf<T> = Extract<T, readonly unknown[]>;
type ObjectsOf<T> = Exclude<T, Primitive | readonly unknown[]>;
type KeysOf<T> = T extends unknown ? keyof T : never;
type FieldOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
type ElementOf<T> = T extends readonly (infer U)[] ? U : never;

export type Observed<T> = unknown extends T
  ? unknown
  :
      | Widen<Extract<T, Primitive>>
      | ([ArraysOf<T>] extends [never] ? never : Observed<ElementOf<ArraysOf<T>>>[])
      | ([ObjectsOf<T>] extends [never] ? never : { [K in KeysOf<ObjectsOf<T>>]?: Observed<FieldOf<ObjectsOf<T>, K>> });

// The message unions are assembled here from the per-type data types of schemas/src: the Static types
// of its TypeBox unions (Event, Command, Request, Reply) resolve to never.
type AnyEvent = { [K in EventType]: Omit<EventEnvelope, 'type' | 'data'> & { type: K; data: EventDataOf<K> } }[EventType];
type PageData = Omit<ReplyDataOf<'history.page'>, 'events'> & { events: AnyEvent[] };
type ReplyData<K extends ReplyType> = K extends 'history.page' ? PageData : ReplyDataOf<K>;
type AnyReply = { [K in ReplyType]: { v: 1; type: K; re: string; data: ReplyData<K> } }[ReplyType];
type AnyCommand = { [K in CommandType]: { v: 1; id: string; type: K; replyTo?: string; data: CommandDataOf<K> } }[CommandType];
type AnyRequest = { [K in RequestType]: { v: 1; id: string; type: K; replyTo: string; data: RequestDataOf<K> } }[RequestType];
type Batch = { v: 1; sid: string; events: AnyEvent[] };

/** An event of any type of protocol v1, as received in a batch or a history page. */
export type ObservedEvent = Observed<AnyEvent>;

/** A reply (ack, error, page, ...) as received on a reply topic. */
export type ObservedReply = Observed<AnyReply>;

/** A session state as received on its retained topic (or in a history page's reset). */
export type ObservedState = Observed<SessionState>;

/** Any payload of the topic map: what a wire peer or the suite's recorder parsed from a Tether topic. */
export type ObservedPayload = Observed<
  | AnyReply
  | Batch
  | HostState
  | SessionState
  | SessionIndexEntry
  | Static<typeof Presence>
  | AgentState
  | Static<typeof InboxDoorbell>
  | Static<typeof Notification>
  | Static<typeof Result>
  | AnyCommand
  | AnyRequest
>;

/** A JSON object of unknown shape, e.g. a payload the suite builds to be deliberately invalid. */
export type JsonObject = { [key: string]: unknown };

/** The payload parsed as JSON (any JSON value), or undefined when it is empty or not JSON. */
export function parseJson(payload: Buffer): ObservedPayload | undefined {
  if (!payload.length) return undefined;
  try {
    return JSON.parse(payload.toString('utf8')) as ObservedPayload;
  } catch {
    return undefined;
  }
}

/** The payload as one JSON object, or undefined (not JSON, not an object, or empty). */
export function parseObject(payload: Buffer): ObservedPayload | undefined {
  const v = parseJson(payload);
  return v !== null && typeof v === 'object' ? v : undefined;
}
