/**
 * The session state a log implies, computed by the suite itself from the events (never from the
 * implementation's code), to compare with the SessionState a host publishes [HOST-SNAPSHOT-2].
 */
import type { ObservedEvent, ObservedState } from '../kit/observed.ts';

/**
 * The model copies fields from the events as the host under test published them, so each may be
 * missing (or of another type): whatever it is shows up in the comparison with the published state.
 */
type Copied<T> = T | undefined;

export interface ModelState {
  sid: string;
  headSeq: Copied<number>;
  status: 'open' | 'closed';
  title?: string;
  createdBy?: string;
  participants: { principal: Copied<string>; role: Copied<string> }[];
  openMessages: { msgId: Copied<string>; sender: Copied<string>; role: Copied<string>; startedSeq: Copied<number>; runId?: string }[];
  openRuns: { runId: Copied<string>; agent: Copied<string>; startedSeq: Copied<number>; title?: string }[];
  openInputs: { requestId: Copied<string>; seq: Copied<number> }[];
  lastSteerSeq?: number;
}

export function emptyModel(sid: string): ModelState {
  return { sid, headSeq: 0, status: 'open', participants: [], openMessages: [], openRuns: [], openInputs: [] };
}

export function applyEvent(s: ModelState, e: ObservedEvent): ModelState {
  const d = e.data ?? {};
  const n: ModelState = { ...s, headSeq: e.seq };
  switch (e.type) {
    case 'session.created':
      n.participants = (d.participants ?? []).map((p) => ({ principal: p.principal, role: p.role }));
      n.createdBy = e.sender;
      if (d.title !== undefined) n.title = d.title;
      break;
    case 'session.closed':
      n.status = 'closed';
      break;
    case 'participant.joined': {
      const i = n.participants.findIndex((p) => p.principal === d.principal);
      n.participants = n.participants.slice();
      if (i === -1) n.participants.push({ principal: d.principal, role: d.role });
      else n.participants[i] = { principal: d.principal, role: d.role };
      break;
    }
    case 'participant.left':
      n.participants = n.participants.filter((p) => p.principal !== d.principal);
      break;
    case 'message.started': {
      const m: ModelState['openMessages'][number] = { msgId: d.msgId, sender: e.sender, role: d.role, startedSeq: e.seq };
      if (d.runId !== undefined) m.runId = d.runId;
      n.openMessages = [...n.openMessages, m];
      break;
    }
    case 'message.completed':
      n.openMessages = n.openMessages.filter((m) => m.msgId !== d.msgId);
      break;
    case 'run.started': {
      const r: ModelState['openRuns'][number] = { runId: d.runId, agent: e.sender, startedSeq: e.seq };
      if (d.title !== undefined) r.title = d.title;
      n.openRuns = [...n.openRuns, r];
      break;
    }
    case 'run.finished':
      n.openRuns = n.openRuns.filter((r) => r.runId !== d.runId);
      break;
    case 'steer':
      n.lastSteerSeq = e.seq;
      break;
    case 'input.requested':
      n.openInputs = [...n.openInputs, { requestId: d.requestId, seq: e.seq }];
      break;
    case 'input.resolved':
      n.openInputs = n.openInputs.filter((i) => i.requestId !== d.requestId);
      break;
    default:
      break;
  }
  return n;
}

export function modelOf(sid: string, events: ObservedEvent[]): ModelState {
  return events.reduce(applyEvent, emptyModel(sid));
}

/** The differences between a published SessionState and the model, as readable strings. */
export function stateDiff(state: ObservedState, model: ModelState): string[] {
  const out: string[] = [];
  const cmp = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${what}: published ${JSON.stringify(a)}, log implies ${JSON.stringify(b)}`);
  };
  const byKey = <T extends object>(xs: T[] | undefined, key: string, fields: string[]) =>
    (xs ?? [])
      .map((x) => x as Record<string, unknown>)
      .map((x) => Object.fromEntries(fields.filter((f) => x[f] !== undefined).map((f) => [f, x[f]])))
      .sort((a, b) => String(a[key]).localeCompare(String(b[key])));
  cmp('headSeq', state.headSeq, model.headSeq);
  cmp('status', state.status, model.status);
  cmp('title', state.title, model.title);
  cmp('createdBy', state.createdBy, model.createdBy);
  cmp(
    'participants',
    byKey(state.participants, 'principal', ['principal', 'role']),
    byKey(model.participants, 'principal', ['principal', 'role']),
  );
  const messageFields = ['msgId', 'sender', 'role', 'startedSeq', 'runId'];
  cmp('openMessages', byKey(state.openMessages, 'msgId', messageFields), byKey(model.openMessages, 'msgId', messageFields));
  cmp(
    'openRuns',
    byKey(state.openRuns, 'runId', ['runId', 'agent', 'startedSeq']),
    byKey(model.openRuns, 'runId', ['runId', 'agent', 'startedSeq']),
  );
  cmp('openInputs', byKey(state.openInputs, 'requestId', ['requestId', 'seq']), byKey(model.openInputs, 'requestId', ['requestId', 'seq']));
  cmp('lastSteerSeq', state.lastSteerSeq, model.lastSteerSeq);
  return out;
}
