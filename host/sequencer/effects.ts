/**
 * What an accepted event changes outside its own log: index entries, notifications, agent inbox
 * items, input deadlines and device results. Derived from the event and the state around it.
 */
import type { EventEnvelope, SessionState } from '../../schemas/src/index.ts';
import { DEVICE_PAYLOAD_MAX } from '../../protocol/constants.ts';
import type { CommitBatch, InboxRecord } from '../store/store.ts';

type D = Record<string, any>;

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
export function compact(obj: D, textField: string): string {
  // Cut by code points, never inside a surrogate pair [DEVICE-SIZE-1].
  let chars = Array.from(String(obj[textField] ?? ''));
  for (;;) {
    const payload = JSON.stringify({ ...obj, [textField]: chars.join('') });
    const over = Buffer.byteLength(payload) - DEVICE_PAYLOAD_MAX;
    if (over <= 0 || chars.length === 0) return payload;
    chars = chars.slice(0, Math.max(0, chars.length - Math.max(2, Math.ceil(over / 4)) - 1));
    if (chars.length) chars.push('…');
  }
}

function textOf(d: D): string {
  const parts = (d.parts ?? []) as D[];
  return parts
    .filter((p) => p.kind === 'text')
    .map((p) => p.text as string)
    .join(' ')
    .slice(0, 160);
}

export function effectsOf(e: EventEnvelope, before: SessionState | undefined, after: SessionState): Effects {
  const d = e.data as D;
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
  const note = (principal: string, k: string, t: string) =>
    fx.notify.push({ principal, payload: compact({ v: 1, k, sid, seq: e.seq, t: t.slice(0, 120) }, 't') });
  const title = after.title ?? sid;

  switch (e.type) {
    case 'session.created':
      for (const p of after.participants) {
        fx.participants.push({ sid, principal: p.principal, role: p.role });
        fx.index.push({ principal: p.principal, removed: false });
        if (p.principal !== e.sender) note(p.principal, 'session', `${e.sender}: ${title}`);
      }
      break;
    case 'participant.joined': {
      const existed = before?.participants.some((p) => p.principal === d.principal);
      fx.participants.push({ sid, principal: d.principal, role: d.role });
      fx.index.push({ principal: d.principal, removed: false });
      if (!existed) note(d.principal, 'session', `${e.sender}: ${title}`);
      // An agent added later is assigned the session like one named at creation.
      if (!existed && d.role === 'agent' && d.principal !== e.sender) {
        fx.inbox.push({ agent: d.principal, sid, seq: e.seq, kind: 'session.assigned', createdAt: e.time, summary: title.slice(0, 160) });
      }
      break;
    }
    case 'participant.left':
      fx.participants.push({ sid, principal: d.principal, role: null });
      fx.index.push({ principal: d.principal, removed: true });
      break;
    case 'session.closed':
      for (const p of after.participants) {
        fx.index.push({ principal: p.principal, removed: false });
        if (p.principal !== e.sender) note(p.principal, 'closed', d.reason ?? title);
      }
      for (const i of before?.openInputs ?? []) fx.deadlinesRemoved.push({ sid, requestId: i.requestId });
      break;
    case 'input.requested': {
      if (d.deadline && d.onTimeout?.policy !== 'wait') {
        fx.deadlinesAdded.push({ sid, requestId: d.requestId, requestSeq: e.seq, deadline: d.deadline });
      }
      // Those who may answer: answering roles, narrowed by `to` [HOST-NOTIFY-1].
      const answerers = after.participants
        .filter((p) => ['owner', 'member', 'approver'].includes(p.role) && (!d.to || (d.to as string[]).includes(p.principal)))
        .map((p) => p.principal);
      for (const p of answerers) if (p !== e.sender) note(p, 'input', d.prompt);
      break;
    }
    case 'input.resolved':
      fx.deadlinesRemoved.push({ sid, requestId: d.requestId });
      break;
    case 'run.finished': {
      const t = d.summary ?? d.error ?? d.status;
      fx.result = { sid, payload: compact({ v: 1, sid, seq: e.seq, status: d.status, t: String(t).slice(0, 160) }, 't') };
      for (const p of after.participants) if (p.role !== 'agent' && p.principal !== e.sender) note(p.principal, 'result', String(t));
      break;
    }
    default:
      break;
  }

  const kind = INBOX_KIND[e.type];
  if (kind) {
    const summary =
      e.type === 'message' ? textOf(d) : e.type === 'steer' ? String(d.text).slice(0, 160) : e.type === 'session.created' ? title.slice(0, 160) : undefined;
    for (const p of after.participants) {
      if (p.role !== 'agent' || p.principal === e.sender) continue;
      const item: Omit<InboxRecord, 'itemId'> = { agent: p.principal, sid, seq: e.seq, kind, createdAt: e.time };
      if (summary) item.summary = summary;
      fx.inbox.push(item);
    }
  }
  return fx;
}
