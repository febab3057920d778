/**
 * SessionState as a pure function of the log: reduce(row, event) gives the state after the event.
 * The host applies it to each accepted event; retention uses it to build the snapshot at the floor.
 */
import type { EventEnvelope, Participant, SessionState } from '../../schemas/src/index.ts';
import type { SessionRow } from '../store/store.ts';
import { asLogEvent } from './log-event.ts';

export function emptySession(sid: string, createdBy: string, time: string): SessionRow {
  return {
    state: {
      v: 1,
      sid,
      headSeq: 0,
      status: 'open',
      createdBy,
      createdAt: time,
      updatedAt: time,
      participants: [],
      openMessages: [],
      openRuns: [],
      openInputs: [],
    },
    streams: {},
    floorSeq: 0,
  };
}

function setParticipant(list: Participant[], p: Participant): Participant[] {
  const i = list.findIndex((x) => x.principal === p.principal);
  if (i === -1) return [...list, p];
  const copy = list.slice();
  copy[i] = p;
  return copy;
}

/** Returns a new row; the input row is not modified. */
export function reduce(row: SessionRow, e: EventEnvelope): SessionRow {
  const s: SessionState = { ...row.state, headSeq: e.seq, updatedAt: e.time };
  let streams = row.streams;
  const ev = asLogEvent(e);
  switch (ev.type) {
    case 'session.created':
      s.participants = ev.data.participants;
      s.createdBy = e.sender;
      s.createdAt = e.time;
      if (ev.data.title !== undefined) s.title = ev.data.title;
      break;
    case 'session.closed':
      s.status = 'closed';
      s.openInputs = [];
      break;
    case 'participant.joined':
      s.participants = setParticipant(s.participants, { principal: ev.data.principal, role: ev.data.role });
      break;
    case 'participant.left': {
      const gone = ev.data.principal;
      s.participants = s.participants.filter((p) => p.principal !== gone);
      break;
    }
    case 'message.started': {
      const d = ev.data;
      const m: SessionState['openMessages'][number] = { msgId: d.msgId, sender: e.sender, role: d.role, startedSeq: e.seq };
      if (d.runId !== undefined) m.runId = d.runId;
      s.openMessages = [...s.openMessages, m];
      streams = { ...streams, [d.msgId]: 0 };
      break;
    }
    case 'message.delta':
      streams = { ...streams, [ev.data.msgId]: ev.data.i + (ev.data.n ?? 1) };
      break;
    case 'message.completed': {
      const msgId = ev.data.msgId;
      s.openMessages = s.openMessages.filter((m) => m.msgId !== msgId);
      const { [msgId]: _closed, ...rest } = streams;
      streams = rest;
      break;
    }
    case 'run.started': {
      const r: SessionState['openRuns'][number] = { runId: ev.data.runId, agent: e.sender, startedSeq: e.seq };
      if (ev.data.title !== undefined) r.title = ev.data.title;
      s.openRuns = [...s.openRuns, r];
      break;
    }
    case 'run.finished': {
      const runId = ev.data.runId;
      s.openRuns = s.openRuns.filter((r) => r.runId !== runId);
      break;
    }
    case 'steer':
      s.lastSteerSeq = e.seq;
      break;
    case 'input.requested': {
      const d = ev.data;
      const i: SessionState['openInputs'][number] = { requestId: d.requestId, seq: e.seq, prompt: d.prompt, risk: d.risk };
      if (d.deadline !== undefined) i.deadline = d.deadline;
      s.openInputs = [...s.openInputs, i];
      break;
    }
    case 'input.resolved': {
      const requestId = ev.data.requestId;
      s.openInputs = s.openInputs.filter((i) => i.requestId !== requestId);
      break;
    }
    default:
      break;
  }
  return { state: s, streams, floorSeq: row.floorSeq };
}
