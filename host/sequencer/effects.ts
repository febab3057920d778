/**
 * What an accepted event changes outside its own log: index entries, notifications, agent inbox
 * items, input deadlines and device results. Derived from the event and the state around it.
 */
import type { Static } from 'typebox';
import type { EventDataOf, EventEnvelope, Notification, Part, Result, SessionState } from '../../schemas/src/index.ts';
import { DEVICE_PAYLOAD_MAX } from '../../protocol/constants.ts';
import type { CommitBatch, InboxRecord } from '../store/store.ts';
import { clip } from '../gate/json.ts';
import { asLogEvent } from './log-event.ts';

export interface Effects {
  participants: CommitBatch['participants'];
  /** Principals whose index entry for this session must be republished (or cleared). */
  index: { principal: string; removed: boolean }[];
  notify: { principal: string; payload: string }[];
  inbox: Omit<InboxRecord, 'itemId'>[];
  deadlinesAdded: CommitBatch['deadlinesAdded'];
  deadlinesRemoved: CommitBatch['deadlinesRemoved'];
  result?: { sid: string; payload: string };
  /** The retained session state must be republished (structure changed, not only headSeq). */
  stateChanged: boolean;
}

const INBOX_KIND: Record<string, InboxRecord['kind'] | undefined> = {
  'session.created': 'session.assigned',
  message: 'message',
  steer: 'steer',
  'run.cancel_requested': 'run.cancel_requested',
  'input.resolved': 'input.resolved',
};

/** A compact device payload that fits DEVICE_PAYLOAD_MAX bytes, truncating the text field [DEVICE-SIZE-1]. */
export function compact<T extends Record<string, unknown>>(obj: T, textField: keyof T & string): string {
  const full = JSON.stringify(obj);
  if (Buffer.byteLength(full) <= DEVICE_PAYLOAD_MAX) return full;
  // Cut by code points, never inside a surrogate pair, and mark the cut [DEVICE-SIZE-1]. Escaped
  // control characters take up to six bytes each, so the longest prefix that fits is searched for.
  const chars = Array.from(String(obj[textField] ?? ''));
  const build = (n: number) => JSON.stringify({ ...obj, [textField]: n > 0 ? `${chars.slice(0, n).join('')}…` : '' });
  let lo = 0;
  let hi = chars.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (Buffer.byteLength(build(mid)) <= DEVICE_PAYLOAD_MAX) lo = mid;
    else hi = mid - 1;
  }
  return build(lo);
}

type TextPart = Extract<Part, { kind: 'text'; text: string }>;

function textOf(d: EventDataOf<'message'>): string {
  const parts = d.parts ?? [];
  return parts
    .filter((p): p is TextPart => p.kind === 'text')
    .map((p) => p.text)
    .join(' ');
}

/**
 * What an event causes besides itself. `isAgent` says whether a principal has an agent card: such a
 * participant is an agent whatever its role [INBOX-ITEM-4].
 */
export function effectsOf(
  e: EventEnvelope,
  before: SessionState | undefined,
  after: SessionState,
  isAgent: (principal: string) => boolean = () => false,
): Effects {
  const agentLike = (p: { principal: string; role: string }) => p.role === 'agent' || isAgent(p.principal);
  const ev = asLogEvent(e);
  const fx: Effects = {
    participants: [],
    index: [],
    notify: [],
    inbox: [],
    deadlinesAdded: [],
    deadlinesRemoved: [],
    stateChanged: e.type !== 'message.delta' && e.type !== 'message',
  };
  const sid = e.sid;
  const note = (principal: string, k: string, t: string) => {
    const n: Static<typeof Notification> = { v: 1, k, sid, seq: e.seq, t: clip(t, 120) };
    fx.notify.push({ principal, payload: compact(n, 't') });
  };
  const title = after.title ?? sid;

  switch (ev.type) {
    case 'session.created':
      for (const p of after.participants) {
        fx.participants.push({ sid, principal: p.principal, role: p.role });
        fx.index.push({ principal: p.principal, removed: false });
        if (p.principal !== e.sender) note(p.principal, 'session', `${e.sender}: ${title}`);
      }
      break;
    case 'participant.joined': {
      const d = ev.data;
      const existed = before?.participants.some((p) => p.principal === d.principal);
      fx.participants.push({ sid, principal: d.principal, role: d.role });
      fx.index.push({ principal: d.principal, removed: false });
      if (!existed) note(d.principal, 'session', `${e.sender}: ${title}`);
      // An agent added later is assigned the session like one named at creation.
      if (!existed && d.role === 'agent' && d.principal !== e.sender) {
        fx.inbox.push({ agent: d.principal, sid, seq: e.seq, kind: 'session.assigned', createdAt: e.time, summary: clip(title, 160) });
      }
      break;
    }
    case 'participant.left':
      fx.participants.push({ sid, principal: ev.data.principal, role: null });
      fx.index.push({ principal: ev.data.principal, removed: true });
      break;
    case 'session.closed':
      for (const p of after.participants) {
        fx.index.push({ principal: p.principal, removed: false });
        if (p.principal !== e.sender) note(p.principal, 'closed', ev.data.reason ?? title);
      }
      for (const i of before?.openInputs ?? []) fx.deadlinesRemoved.push({ sid, requestId: i.requestId });
      break;
    case 'input.requested': {
      const d = ev.data;
      if (d.deadline && d.onTimeout?.policy !== 'wait') {
        fx.deadlinesAdded.push({ sid, requestId: d.requestId, requestSeq: e.seq, deadline: d.deadline });
      }
      // Those who may answer: answering roles, narrowed by `to` [HOST-NOTIFY-1].
      const answerers = after.participants
        .filter((p) => ['owner', 'member', 'approver'].includes(p.role) && (!d.to || d.to.includes(p.principal)))
        .map((p) => p.principal);
      for (const p of answerers) if (p !== e.sender) note(p, 'input', d.prompt);
      break;
    }
    case 'input.resolved':
      fx.deadlinesRemoved.push({ sid, requestId: ev.data.requestId });
      break;
    case 'run.finished': {
      const d = ev.data;
      // The summary, or the status: an error text is for the log, not for devices [HOST-RESULT-1].
      const t = d.summary ?? d.status;
      const result: Static<typeof Result> = { v: 1, sid, seq: e.seq, status: d.status, t: clip(String(t), 160) };
      fx.result = { sid, payload: compact(result, 't') };
      for (const p of after.participants) if (!agentLike(p) && p.principal !== e.sender) note(p.principal, 'result', String(t));
      break;
    }
    default:
      break;
  }

  const kind = INBOX_KIND[e.type];
  if (kind) {
    const summary =
      ev.type === 'message'
        ? clip(textOf(ev.data), 160)
        : ev.type === 'steer'
          ? clip(String(ev.data.text), 160)
          : ev.type === 'session.created'
            ? clip(title, 160)
            : undefined;
    for (const p of after.participants) {
      if (!agentLike(p) || p.principal === e.sender) continue;
      const item: Omit<InboxRecord, 'itemId'> = { agent: p.principal, sid, seq: e.seq, kind, createdAt: e.time };
      if (summary) item.summary = summary;
      fx.inbox.push(item);
    }
  }
  return fx;
}
