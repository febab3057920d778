/**
 * What a command means in a session: the role check, the type rules, and the data of the single
 * event it becomes. Pure decisions on the current SessionRow plus read-only store look-ups.
 */
import type { EventType, Role, SessionState } from '../../schemas/src/index.ts';
import { EVENT_OF_COMMAND, type CommandType } from '../../protocol/constants.ts';
import { compileAnswerSchema, describeErrors } from '../../protocol/validate.ts';
import type { SessionRow, Store } from '../store/store.ts';

/** Reads the log including events accepted but not yet committed. */
export type LogReader = Pick<Store, 'readEvents' | 'findEvent'>;
import { refuse } from '../gate/errors.ts';

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
  'steer.apply': ['agent'],
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

const answerValidators = new Map<string, ReturnType<typeof compileAnswerSchema>>();

function answerValidator(sid: string, requestId: string, schema: object) {
  const key = `${sid}\u0000${requestId}`;
  let fn = answerValidators.get(key);
  if (!fn) {
    fn = compileAnswerSchema(schema);
    if (answerValidators.size > 1000) answerValidators.clear();
    answerValidators.set(key, fn);
  }
  return fn;
}

export function decideCreate(sender: string, data: D): Decision {
  const participants: { principal: string; role: Role }[] = [{ principal: sender, role: 'owner' }];
  const seen = new Set<string>();
  for (const p of (data.participants ?? []) as { principal: string; role: Role }[]) {
    if (seen.has(p.principal)) refuse('SCHEMA_INVALID', 'HOST-CREATE-4', `participants lists ${p.principal} twice`);
    seen.add(p.principal);
    // An entry for the creator is ignored: the creator is always the first owner [HOST-CREATE-3].
    if (p.principal !== sender) participants.push({ principal: p.principal, role: p.role });
  }
  const out: D = { participants };
  if (data.title !== undefined) out.title = data.title;
  if (data.metadata !== undefined) out.metadata = data.metadata;
  return { type: 'session.created', data: out };
}

/** Refuses ids a session has used before: msgId, runId and requestId are unique per session. */
async function refuseUsed(log: LogReader, sid: string, types: string[], key: string, rule: string, what: string) {
  const used = await log.findEvent(sid, types, key, 'first');
  if (used) refuse('CONFLICT', rule, `${what} ${key} was already used in this session (seq ${used.seq})`, { seq: used.seq });
}

function requireOpenRun(s: SessionState, runId: string | undefined, rule: string) {
  if (runId !== undefined && !s.openRuns.some((r) => r.runId === runId)) refuse('RUN_NOT_FOUND', rule, `no open run ${runId}`);
}

function ownersAfter(s: SessionState, principal: string, role: Role | null): number {
  return s.participants.filter((p) => (p.principal === principal ? role === 'owner' : p.role === 'owner')).length;
}

export async function decide(row: SessionRow, sender: string, type: CommandType, data: D, log: LogReader, now: Date, maxMessageBytes = 1048576): Promise<Decision> {
  const s = row.state;
  const sid = s.sid;
  if (type === 'session.create') refuse('SESSION_EXISTS', 'HOST-CREATE-2', `session ${sid} already exists`);
  if (s.status === 'closed') refuse('SESSION_CLOSED', 'HOST-CLOSE-1', `session ${sid} is closed`);
  const role = roleOf(s, sender);
  if (!role) refuse('NOT_PARTICIPANT', 'HOST-AUTHZ-2', `${sender} is not a participant of ${sid}`);
  if (!ALLOWED_ROLES[type].includes(role)) refuse('FORBIDDEN', 'HOST-AUTHZ-1', `role ${role} may not send ${type}`);
  const event = EVENT_OF_COMMAND[type] as EventType;
  switch (type) {
    case 'participant.add':
      if (ownersAfter(s, data.principal, data.role) === 0) refuse('CONFLICT', 'ROLE-OWNER-1', 'the last owner cannot be demoted');
      return { type: event, data };
    case 'participant.remove':
      if (!roleOf(s, data.principal)) refuse('CONFLICT', 'CMD-PART-3', `${data.principal} is not a participant`);
      if (ownersAfter(s, data.principal, null) === 0) refuse('CONFLICT', 'ROLE-OWNER-1', 'the last owner cannot be removed');
      return { type: event, data };
    case 'message.send':
      if (data.replyToSeq !== undefined && data.replyToSeq > s.headSeq) {
        refuse('SCHEMA_INVALID', 'HOST-MSG-1', `replyToSeq ${data.replyToSeq} is after the head ${s.headSeq}`);
      }
      await refuseUsed(log, sid, ['message', 'message.started'], data.msgId, 'HOST-STREAM-1', 'msgId');
      return { type: event, data };
    case 'message.start':
      requireOpenRun(s, data.runId, 'HOST-STREAM-6');
      await refuseUsed(log, sid, ['message', 'message.started'], data.msgId, 'HOST-STREAM-1', 'msgId');
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
        // HOST-STREAM-7: one text part of the chunks in order.
        const deltas = await log.readEvents(sid, open.startedSeq, s.headSeq, Number.MAX_SAFE_INTEGER);
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
      // The completed event, alone in a batch, must fit maxMessageBytes [HOST-LIMIT-8]; 512 bytes cover the envelope.
      if (!data.parts && Buffer.byteLength(JSON.stringify(out)) + 512 > maxMessageBytes) {
        refuse('LIMIT_EXCEEDED', 'HOST-LIMIT-8', `the completed message would exceed maxMessageBytes ${maxMessageBytes}; send parts instead`, {
          limit: 'maxMessageBytes',
          max: maxMessageBytes,
        });
      }
      return { type: event, data: out };
    }
    case 'run.start':
      await refuseUsed(log, sid, ['run.started'], data.runId, 'HOST-RUN-1', 'runId');
      return { type: event, data };
    case 'run.finish': {
      const run = s.openRuns.find((r) => r.runId === data.runId);
      if (!run) refuse('RUN_NOT_FOUND', 'HOST-RUN-2', `no open run ${data.runId}`);
      if (run.agent !== sender) refuse('FORBIDDEN', 'HOST-RUN-4', `run ${data.runId} was started by ${run.agent}`);
      return { type: event, data };
    }
    case 'run.cancel':
      if (!s.openRuns.some((r) => r.runId === data.runId)) refuse('RUN_NOT_FOUND', 'HOST-RUN-2', `no open run ${data.runId}`);
      return { type: event, data };
    case 'steer': {
      requireOpenRun(s, data.runId, 'HOST-STEER-4');
      const out: D = { text: data.text };
      if (data.runId !== undefined) out.runId = data.runId;
      // HOST-STEER-1: supersedes the latest earlier steer with the same runId (or both without one).
      const previous = s.lastSteerSeq === undefined ? undefined : await log.findEvent(sid, ['steer'], data.runId, 'latest');
      if (previous) out.supersedes = previous.seq;
      return { type: event, data: out };
    }
    case 'steer.apply': {
      const [e] = await log.readEvents(sid, data.steerSeq - 1, data.steerSeq, 1);
      if (!e || e.seq !== data.steerSeq || e.type !== 'steer') refuse('STEER_NOT_FOUND', 'HOST-STEER-2', `no steer event at seq ${data.steerSeq}`);
      return { type: event, data };
    }
    case 'input.request': {
      requireOpenRun(s, data.runId, 'HOST-INPUT-11');
      await refuseUsed(log, sid, ['input.requested'], data.requestId, 'HOST-INPUT-1', 'requestId');
      if (data.answerSchema !== undefined) {
        const external = externalRef(data.answerSchema);
        if (external) refuse('SCHEMA_INVALID', 'HOST-INPUT-14', `answerSchema may only $ref inside itself, not ${external}`);
        let fn: ReturnType<typeof compileAnswerSchema>;
        try {
          fn = compileAnswerSchema(data.answerSchema);
        } catch (err) {
          refuse('SCHEMA_INVALID', 'HOST-INPUT-2', `answerSchema does not compile: ${(err as Error).message}`);
        }
        if (data.onTimeout?.policy === 'default' && !fn(data.onTimeout.value)) {
          refuse('SCHEMA_INVALID', 'HOST-INPUT-10', `onTimeout.value does not satisfy answerSchema: ${describeErrors(fn.errors)}`);
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
        const asked = await log.findEvent(sid, ['input.requested'], data.requestId, 'first');
        if (!asked) refuse('INPUT_NOT_FOUND', 'HOST-INPUT-4', `no input request ${data.requestId}`);
        const resolved = await log.findEvent(sid, ['input.resolved'], data.requestId, 'first');
        refuse('CONFLICT', 'HOST-INPUT-5', `input request ${data.requestId} is already resolved`, resolved ? { resolvedSeq: resolved.seq } : undefined);
      }
      const [req] = await log.readEvents(sid, open.seq - 1, open.seq, 1);
      const reqData = (req?.data ?? {}) as D;
      // `to` narrows who may answer; the role check above already admitted only owner, member, approver.
      if (Array.isArray(reqData.to) && !reqData.to.includes(sender)) refuse('FORBIDDEN', 'HOST-INPUT-6', `${sender} is not asked by ${data.requestId}`);
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

/** The first $ref that does not point inside the schema itself, if any [HOST-INPUT-14]. */
function externalRef(schema: unknown): string | undefined {
  const stack: unknown[] = [schema];
  for (let n = 0; stack.length && n < 10_000; n++) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    for (const [k, v] of Object.entries(node)) {
      if ((k === '$ref' || k === '$dynamicRef') && typeof v === 'string' && !v.startsWith('#')) return v;
      if (v && typeof v === 'object') stack.push(v);
    }
  }
  return undefined;
}
