/** Rules of input.request and input.answer: questions to humans, answers checked against the answerSchema. */
import { compileAnswerSchema, describeErrors } from '../../../protocol/validate.ts';
import { refuse } from '../../gate/errors.ts';
import { isEventOf } from '../log-event.ts';
import type { CommandRule } from './rule.ts';
import { requireOpenRun } from './runs.ts';
import { refuseUsed } from './unique-ids.ts';

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

export const requestInput: CommandRule<'input.request'> = async ({ row, log, now }, data) => {
  requireOpenRun(row.state, data.runId, 'HOST-INPUT-11');
  await refuseUsed(log, row.state.sid, ['input.requested'], data.requestId, 'HOST-INPUT-1', 'requestId');
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
  return { type: 'input.requested', data: { ...data, onTimeout: data.onTimeout ?? { policy: 'wait' }, risk: data.risk ?? 'low' } };
};

export const answerInput: CommandRule<'input.answer'> = async ({ row, sender, log }, data) => {
  const s = row.state;
  const sid = s.sid;
  const open = s.openInputs.find((i) => i.requestId === data.requestId);
  if (!open) {
    const asked = await log.findEvent(sid, ['input.requested'], data.requestId, 'first');
    if (!asked) refuse('INPUT_NOT_FOUND', 'HOST-INPUT-4', `no input request ${data.requestId}`);
    const resolved = await log.findEvent(sid, ['input.resolved'], data.requestId, 'first');
    refuse(
      'CONFLICT',
      'HOST-INPUT-5',
      `input request ${data.requestId} is already resolved`,
      resolved ? { resolvedSeq: resolved.seq } : undefined,
    );
  }
  const [req] = await log.readEvents(sid, open.seq - 1, open.seq, 1);
  const asked = req && isEventOf(req, 'input.requested') ? req.data : undefined;
  // `to` narrows who may answer; the role check (admission.ts) already admitted only owner, member, approver.
  if (Array.isArray(asked?.to) && !asked.to.includes(sender))
    refuse('FORBIDDEN', 'HOST-INPUT-6', `${sender} is not asked by ${data.requestId}`);
  if (asked?.answerSchema) {
    const fn = answerValidator(sid, data.requestId, asked.answerSchema);
    if (!fn(data.value)) refuse('ANSWER_INVALID', 'HOST-INPUT-7', `answer does not satisfy answerSchema: ${describeErrors(fn.errors)}`);
  }
  return {
    type: 'input.resolved',
    data: { requestId: data.requestId, outcome: 'answered', value: data.value, decidedBy: 'person', by: sender, requestSeq: open.seq },
  };
};
