/**
 * The MQTT 3.1.1 topic map of protocol v1 (spec/v1/topics.md). Builders refuse any id outside
 * the ID alphabet so that no value can add or match a topic level [TOPIC-ID-1].
 */
import { ID_PATTERN, TOPIC_ROOT } from './constants.ts';

const ID_RE = new RegExp(ID_PATTERN);

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_RE.test(value);
}

function id(value: string, what: string): string {
  if (!isId(value)) throw new TypeError(`invalid ${what} ${JSON.stringify(value)}: must match ${ID_PATTERN} [TOPIC-ID-1]`);
  return value;
}

export const topics = {
  root: TOPIC_ROOT,
  hostState: (hostId: string) => `${TOPIC_ROOT}/host/${id(hostId, 'hostId')}/state`,
  submit: (sid: string, principal: string) => `${TOPIC_ROOT}/sessions/${id(sid, 'sid')}/submit/${id(principal, 'principal')}`,
  events: (sid: string) => `${TOPIC_ROOT}/sessions/${id(sid, 'sid')}/events`,
  sessionState: (sid: string) => `${TOPIC_ROOT}/sessions/${id(sid, 'sid')}/state`,
  presence: (sid: string, principal: string, device: string) =>
    `${TOPIC_ROOT}/sessions/${id(sid, 'sid')}/presence/${id(principal, 'principal')}/${id(device, 'device')}`,
  sessionIndex: (principal: string, sid: string) => `${TOPIC_ROOT}/users/${id(principal, 'principal')}/sessions/${id(sid, 'sid')}`,
  sessionIndexAll: (principal: string) => `${TOPIC_ROOT}/users/${id(principal, 'principal')}/sessions/+`,
  notify: (principal: string) => `${TOPIC_ROOT}/users/${id(principal, 'principal')}/notify`,
  result: (sid: string) => `${TOPIC_ROOT}/results/${id(sid, 'sid')}`,
  agentState: (agentId: string) => `${TOPIC_ROOT}/agents/${id(agentId, 'agentId')}/state`,
  inbox: (agentId: string) => `${TOPIC_ROOT}/agents/${id(agentId, 'agentId')}/inbox`,
  requests: (principal: string) => `${TOPIC_ROOT}/requests/${id(principal, 'principal')}`,
  replies: (principal: string, clientId: string) => `${TOPIC_ROOT}/replies/${id(principal, 'principal')}/${id(clientId, 'clientId')}`,
} as const;

/** The single-level wildcard: any id in that level. */
export const ANY = '+' as const;

function idOrAny(value: string, what: string): string {
  return value === ANY ? value : id(value, what);
}

/**
 * Subscription filters: the same shapes as `topics`, each id level defaulting to `+`, plus the
 * multi-level filters clients and the suite subscribe to. A filter is never a valid publish topic.
 */
export const filters = {
  hostState: (hostId: string = ANY) => `${TOPIC_ROOT}/host/${idOrAny(hostId, 'hostId')}/state`,
  submit: (sid: string = ANY, principal: string = ANY) =>
    `${TOPIC_ROOT}/sessions/${idOrAny(sid, 'sid')}/submit/${idOrAny(principal, 'principal')}`,
  events: (sid: string = ANY) => `${TOPIC_ROOT}/sessions/${idOrAny(sid, 'sid')}/events`,
  sessionState: (sid: string = ANY) => `${TOPIC_ROOT}/sessions/${idOrAny(sid, 'sid')}/state`,
  presence: (sid: string = ANY, principal: string = ANY, device: string = ANY) =>
    `${TOPIC_ROOT}/sessions/${idOrAny(sid, 'sid')}/presence/${idOrAny(principal, 'principal')}/${idOrAny(device, 'device')}`,
  sessionIndex: (principal: string = ANY, sid: string = ANY) =>
    `${TOPIC_ROOT}/users/${idOrAny(principal, 'principal')}/sessions/${idOrAny(sid, 'sid')}`,
  notify: (principal: string = ANY) => `${TOPIC_ROOT}/users/${idOrAny(principal, 'principal')}/notify`,
  result: (sid: string = ANY) => `${TOPIC_ROOT}/results/${idOrAny(sid, 'sid')}`,
  agentState: (agentId: string = ANY) => `${TOPIC_ROOT}/agents/${idOrAny(agentId, 'agentId')}/state`,
  inbox: (agentId: string = ANY) => `${TOPIC_ROOT}/agents/${idOrAny(agentId, 'agentId')}/inbox`,
  requests: (principal: string = ANY) => `${TOPIC_ROOT}/requests/${idOrAny(principal, 'principal')}`,
  replies: (principal: string = ANY, clientId: string = ANY) =>
    `${TOPIC_ROOT}/replies/${idOrAny(principal, 'principal')}/${idOrAny(clientId, 'clientId')}`,
  /** Everything of one session: events, state, submits, presence. */
  session: (sid: string) => `${TOPIC_ROOT}/sessions/${id(sid, 'sid')}/#`,
  /** A principal's index entries and notifications (what a device subscribes to). */
  user: (principal: string) => `${TOPIC_ROOT}/users/${id(principal, 'principal')}/#`,
  /** Every reply topic of a principal, whatever the client id. */
  repliesOf: (principal: string) => `${TOPIC_ROOT}/replies/${id(principal, 'principal')}/#`,
  /** The whole protocol tree. */
  all: () => `${TOPIC_ROOT}/#`,
} as const;

/** Topic prefixes for ownership checks (a `replyTo` must start with the sender's own prefix [ENV-REPLY-2]). */
export const prefixes = {
  replies: (principal: string) => `${TOPIC_ROOT}/replies/${id(principal, 'principal')}/`,
  users: (principal: string) => `${TOPIC_ROOT}/users/${id(principal, 'principal')}/`,
  results: () => `${TOPIC_ROOT}/results/`,
  root: () => `${TOPIC_ROOT}/`,
} as const;

/**
 * A topic under the protocol root built from raw levels, with no id check: only for negative
 * tests that must publish where no valid topic could (an extra level, `$` in an id, an unknown kind).
 */
export function unchecked(...levels: string[]): string {
  return [TOPIC_ROOT, ...levels].join('/');
}

/** What a topic is, parsed strictly: every level that holds an id must be a valid id. */
export type ParsedTopic =
  | { kind: 'hostState'; hostId: string }
  | { kind: 'submit'; sid: string; principal: string }
  | { kind: 'events'; sid: string }
  | { kind: 'sessionState'; sid: string }
  | { kind: 'presence'; sid: string; principal: string; device: string }
  | { kind: 'sessionIndex'; principal: string; sid: string }
  | { kind: 'notify'; principal: string }
  | { kind: 'result'; sid: string }
  | { kind: 'agentState'; agentId: string }
  | { kind: 'inbox'; agentId: string }
  | { kind: 'requests'; principal: string }
  | { kind: 'replies'; principal: string; clientId: string };

export function parseTopic(topic: string): ParsedTopic | undefined {
  const l = topic.split('/');
  if (l[0] !== 'tether' || l[1] !== 'v1') return undefined;
  const ids = (...xs: (string | undefined)[]) => xs.every((x) => isId(x));
  const n = l.length;
  switch (l[2]) {
    case 'host':
      return n === 5 && l[4] === 'state' && ids(l[3]) ? { kind: 'hostState', hostId: l[3] } : undefined;
    case 'sessions': {
      const sid = l[3];
      if (!ids(sid)) return undefined;
      if (n === 6 && l[4] === 'submit' && ids(l[5])) return { kind: 'submit', sid, principal: l[5] };
      if (n === 5 && l[4] === 'events') return { kind: 'events', sid };
      if (n === 5 && l[4] === 'state') return { kind: 'sessionState', sid };
      if (n === 7 && l[4] === 'presence' && ids(l[5], l[6])) return { kind: 'presence', sid, principal: l[5], device: l[6] };
      return undefined;
    }
    case 'users':
      if (!ids(l[3])) return undefined;
      if (n === 6 && l[4] === 'sessions' && ids(l[5])) return { kind: 'sessionIndex', principal: l[3], sid: l[5] };
      if (n === 5 && l[4] === 'notify') return { kind: 'notify', principal: l[3] };
      return undefined;
    case 'results':
      return n === 4 && ids(l[3]) ? { kind: 'result', sid: l[3] } : undefined;
    case 'agents':
      if (n !== 5 || !ids(l[3])) return undefined;
      if (l[4] === 'state') return { kind: 'agentState', agentId: l[3] };
      if (l[4] === 'inbox') return { kind: 'inbox', agentId: l[3] };
      return undefined;
    case 'requests':
      return n === 4 && ids(l[3]) ? { kind: 'requests', principal: l[3] } : undefined;
    case 'replies':
      return n === 5 && ids(l[3], l[4]) ? { kind: 'replies', principal: l[3], clientId: l[4] } : undefined;
    default:
      return undefined;
  }
}
