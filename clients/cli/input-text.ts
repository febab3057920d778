/**
 * An open input request for people: who asks what, how risky it is, how long is left and what
 * happens at the deadline. `tether watch` and `tether chat` show requests the same way.
 */
import type { EventDataOf } from '../../schemas/src/index.ts';
import type { Output } from './output.ts';
import { msUntil, timeLeft } from './time.ts';
import { showValue } from './value.ts';

export type InputRequest = Pick<EventDataOf<'input.requested'>, 'requestId' | 'prompt' | 'risk'> &
  Partial<Pick<EventDataOf<'input.requested'>, 'deadline' | 'onTimeout' | 'to' | 'runId' | 'answerSchema'>>;

/** What happens at the deadline, in words; undefined when there is no deadline. */
export function atDeadline(req: InputRequest): string | undefined {
  if (!req.deadline) return undefined;
  const policy = req.onTimeout?.policy ?? 'wait';
  if (policy === 'default') return `default ${showValue((req.onTimeout as { value?: unknown }).value)} applies at the deadline`;
  if (policy === 'fail') return 'fails at the deadline';
  return 'stays open after the deadline';
}

/** "risk high · 4m 10s left · default false applies at the deadline" */
export function inputDetails(out: Output, req: InputRequest, now = Date.now()): string {
  const risk =
    req.risk === 'high' ? out.paint(['bold', 'red'], 'risk high') : req.risk === 'medium' ? out.paint('yellow', 'risk medium') : 'risk low';
  const parts = [risk];
  if (req.deadline) {
    const left = timeLeft(req.deadline, now);
    parts.push(msUntil(req.deadline, now) < 60_000 ? out.paint(['bold', 'yellow'], left) : left);
  } else parts.push('no deadline');
  const end = atDeadline(req);
  if (end) parts.push(end);
  return parts.join(' · ');
}

/** The JSON shape of an input request in `watch` and `chat` records. */
export function inputRecord(req: InputRequest, now = Date.now()): Record<string, unknown> {
  const r: Record<string, unknown> = {
    requestId: req.requestId,
    prompt: req.prompt,
    risk: req.risk,
    onTimeout: req.onTimeout ?? { policy: 'wait' },
  };
  if (req.deadline) {
    r.deadline = req.deadline;
    r.timeLeftMs = msUntil(req.deadline, now);
  }
  if (req.to) r.to = req.to;
  if (req.runId) r.runId = req.runId;
  if (req.answerSchema) r.answerSchema = req.answerSchema;
  return r;
}
