/**
 * What a command means in a session: the role check, the type rules, and the data of the single
 * event it becomes. Pure decisions on the current SessionRow plus read-only store look-ups.
 */
import type { CommandType, EventType, Role, SessionState } from '../../schemas/src/index.ts';
import { EVENT_OF_COMMAND } from '../../schemas/src/index.ts';
import { compileSchema, describeErrors } from '../../protocol/validate.ts';
import type { SessionRow, Store } from '../store/store.ts';

/** Reads the log including events accepted but not yet committed. */
export type LogReader = Pick<Store, 'readEvents' | 'findEvent'>;
import { refuse } from './errors.ts';

type D = Record<string, any>;

/** Roles allowed to send each command type [HOST-AUTHZ-1]. */
export const ALLOWED_ROLES: Record<CommandType, readonly Role[]> = {
  'session.create': [],
  'session.close': ['owner'],
  'participant.add': ['owner'],
  'participant.remove': ['owner'],
  'message.send': ['owner', 'member', 'agent'],
  'message.start': ['owner', 'member', 'agent'],
  'message.delta': ['owner', 'member', 'agent'],
  'message.complete': ['owner', 'member', 'agent'],
  'run.start': ['owner', 'agent'],
  'run.finish': ['owner', 'agent'],
  'run.cancel': ['owner', 'member'],
  steer: ['owner', 'member'],
  'steer.apply': ['owner', 'agent'],
  'input.request': ['owner', 'agent'],
  'input.answer': ['owner', 'member', 'approver'],
};

export interface Decision {
  type: EventType;
  data: D;
}

export function roleOf(state: SessionState, principal: string): Role | undefined {
  return state.participants.find((p) => p.principal === principal)?.role;
}

const answerValidators = new Map<string, ReturnType<typeof compileSchema>>();

function answerValidator(sid: string, requestId: string, schema: object) {
  const key = `${sid}\u0000${requestId}`;
  let fn = answerValidators.get(key);
  if (!fn) {
    fn = compileSchema(schema);
    if (answerValidators.size > 1000) answerValidators.clear();
    answerValidators.set(key, fn);
  }
  return fn;
}

export function decideCreate(sender: string, data: D, now: string): Decision {
  const participants = [{ principal: sender, role: 'owner' as Role }];
  for (const p of (data.participants ?? []) as { principal: string; role: Role }[]) {
    if (p.principal === sender) continue;
    const i = participants.findIndex((x) => x.principal === p.principal);
    if (i === -1) participants.push(p);
    else participants[i] = p;
  }
  const out: D = { participants };
  if (data.title !== undefined) out.title = data.title;
  if (data.metadata !== undefined) out.metadata = data.metadata;
  void now;
  return { type: 'session.created', data: out };
}

export async function decide(row: SessionRow, sender: string, type: CommandType, data: D, store: LogReader, now: Date): Promise<Decision> {
  const s = row.state;
  const sid = s.sid;
  if (type === 'session.create') refuse('SESSION_EXISTS', 'HOST-CREATE-2', `session ${sid} already exists`);
  if (s.status === 'closed') refuse('SESSION_CLOSED', 'HOST-CLOSE-1', `session ${sid} is closed`);
  const role = roleOf(s, sender);
  if (!role) refuse('NOT_PARTICIPANT', 'HOST-AUTHZ-2', `${sender} is not a participant of ${sid}`);
  if (!ALLOWED_ROLES[type].includes(role)) {
    refuse('FORBIDDEN', 'HOST-AUTHZ-1', `role ${role} may not send ${type}`);
  }
  const event = EVENT_OF_COMMAND[type] as EventType;
  switch (type) {
    case 'participant.remove':
      if (!roleOf(s, data.principal)) refuse('NOT_PARTICIPANT', 'HOST-AUTHZ-2', `${data.principal} is not a participant`);
      if (data.principal === s.createdBy && data.principal === sender && s.participants.filter((p) => p.role === 'owner').length === 1) {
        refuse('FORBIDDEN', 'HOST-AUTHZ-1', 'the last owner cannot remove itself');
      }
      return { type: event, data };
    case 'message.send':
    case 'message.start':
      if (s.openMessages.some((m) => m.msgId === data.msgId)) refuse('CONFLICT', 'HOST-STREAM-1', `message ${data.msgId} is already open`);
      return { type: event, data };
    case 'message.delta': {
      const open = s.openMessages.find((m) => m.msgId === data.msgId);
      if (!open) refuse('STREAM_NOT_OPEN', 'HOST-STREAM-2', `no open stream ${data.msgId}`);
      if (open.sender !== sender) refuse('FORBIDDEN', 'HOST-STREAM-3', `stream ${data.msgId} belongs to ${open.sender}`);
      const expected = row.streams[data.msgId] ?? 0;
      if (data.i !== expected) {
        refuse('STREAM_OUT_OF_ORDER', 'HOST-STREAM-4', `chunk ${data.i} of ${data.msgId} out of order; expected ${expected}`, { expected });
      }
      return { type: event, data: { msgId: data.msgId, i: data.i, text: data.text } };
    }
    case 'message.complete': {
      const open = s.openMessages.find((m) => m.msgId === data.msgId);
      if (!open) refuse('STREAM_NOT_OPEN', 'HOST-STREAM-2', `no open stream ${data.msgId}`);
      if (open.sender !== sender) refuse('FORBIDDEN', 'HOST-STREAM-3', `stream ${data.msgId} belongs to ${open.sender}`);
      let parts = data.parts;
      if (!parts) {
        const deltas = await store.readEvents(sid, open.startedSeq, s.headSeq, Number.MAX_SAFE_INTEGER);
        const text = deltas
          .filter((e) => e.type === 'message.delta' && (e.data as D).msgId === data.msgId)
          .map((e) => (e.data as D).text as string)
          .join('');
        parts = [{ kind: 'text', text }];
      }
      const out: D = {
        msgId: data.msgId,
        role: open.role,
        status: data.status ?? 'ok',
        parts,
        chunks: row.streams[data.msgId] ?? 0,
        startedSeq: open.startedSeq,
      };
      if (data.error !== undefined) out.error = data.error;
      return { type: event, data: out };
    }
    case 'run.start':
      if (s.openRuns.some((r) => r.runId === data.runId)) refuse('CONFLICT', 'HOST-RUN-1', `run ${data.runId} is already open`);
      return { type: event, data };
    case 'run.finish':
    case 'run.cancel':
      if (!s.openRuns.some((r) => r.runId === data.runId)) refuse('RUN_NOT_FOUND', 'HOST-RUN-2', `no open run ${data.runId}`);
      return { type: event, data };
    case 'steer': {
      const out: D = { text: data.text };
      if (data.runId !== undefined) out.runId = data.runId;
      const previous = await lastSteer(store, row, data.runId);
      if (previous !== undefined) out.supersedes = previous;
      return { type: event, data: out };
    }
    case 'steer.apply': {
      const [e] = await store.readEvents(sid, data.steerSeq - 1, data.steerSeq, 1);
      if (!e || e.type !== 'steer') refuse('STEER_NOT_FOUND', 'HOST-STEER-2', `no steer event at seq ${data.steerSeq}`);
      return { type: event, data };
    }
    case 'input.request': {
      if (s.openInputs.some((i) => i.requestId === data.requestId)) refuse('CONFLICT', 'HOST-INPUT-1', `input request ${data.requestId} is already open`);
      if (data.answerSchema !== undefined) {
        try {
          compileSchema(data.answerSchema);
        } catch (err) {
          refuse('SCHEMA_INVALID', 'HOST-INPUT-2', `answerSchema does not compile: ${(err as Error).message}`);
        }
      }
      if (data.deadline !== undefined && Date.parse(data.deadline) <= now.getTime()) {
        refuse('SCHEMA_INVALID', 'HOST-INPUT-3', `deadline ${data.deadline} is not in the future`);
      }
      return { type: event, data: { ...data, onTimeout: data.onTimeout ?? { policy: 'wait' }, risk: data.risk ?? 'low' } };
    }
    case 'input.answer': {
      const open = s.openInputs.find((i) => i.requestId === data.requestId);
      if (!open) {
        const resolved = await findInputResolution(store, sid, data.requestId);
        if (resolved) refuse('CONFLICT', 'HOST-INPUT-5', `input request ${data.requestId} was already resolved at seq ${resolved}`, { resolvedSeq: resolved });
        refuse('INPUT_NOT_FOUND', 'HOST-INPUT-4', `no input request ${data.requestId}`);
      }
      const [req] = await store.readEvents(sid, open.seq - 1, open.seq, 1);
      const reqData = (req?.data ?? {}) as D;
      const allowed: string[] | undefined = reqData.to;
      if (allowed ? !allowed.includes(sender) : !['owner', 'member', 'approver'].includes(role)) {
        refuse('FORBIDDEN', 'HOST-INPUT-6', `${sender} may not answer ${data.requestId}`);
      }
      if (reqData.answerSchema) {
        const fn = answerValidator(sid, data.requestId, reqData.answerSchema);
        if (!fn(data.value)) refuse('ANSWER_INVALID', 'HOST-INPUT-7', `answer does not satisfy answerSchema: ${describeErrors(fn.errors)}`);
      }
      return {
        type: event,
        data: { requestId: data.requestId, outcome: 'answered', value: data.value, decidedBy: 'person', by: sender, requestSeq: open.seq },
      };
    }
    default:
      return { type: event, data };
  }
}

async function lastSteer(store: LogReader, row: SessionRow, runId: string | undefined): Promise<number | undefined> {
  if (row.state.lastSteerSeq === undefined) return undefined;
  return (await store.findEvent(row.state.sid, 'steer', 'runId', runId, 'latest'))?.seq;
}

async function findInputResolution(store: LogReader, sid: string, requestId: string): Promise<number | undefined> {
  const e = await store.findEvent(sid, 'input.resolved', 'requestId', requestId, 'first');
  return e?.seq;
}
