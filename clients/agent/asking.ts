/**
 * `ask_human` with the agent's rules: every question has a deadline and a declared outcome for it;
 * a risky question defaults to "no"; a `wait` question still ends for the agent (it tells the
 * session it stopped waiting). The decision is taken from the log's input.resolved event.
 */
import type { Session } from '../lib/index.ts';
import type { AskArgs } from './tools.ts';

const DEFAULT_DEADLINE_S = 300;

export function answerSchemaOf(answer: AskArgs['answer']): Record<string, unknown> {
  if (answer === 'string' || answer === 'number' || answer === 'boolean') return { type: answer };
  if (answer && typeof answer === 'object') return answer;
  return { type: 'boolean' };
}

/** What the host applies at the deadline: the declared value, else "no" for risky questions, else fail. */
export function onTimeoutOf(
  args: AskArgs,
  schema: Record<string, unknown>,
): { policy: 'default'; value: unknown } | { policy: 'fail' } | { policy: 'wait' } {
  if (args.onTimeout === 'wait') return { policy: 'wait' };
  if (args.onTimeout === 'fail') return { policy: 'fail' };
  if (args.onTimeout !== undefined && args.onTimeout !== null) return { policy: 'default', value: args.onTimeout };
  // A yes/no question defaults to "no" [the agent never acts on silence]; any other ends as failed.
  if (schema.type === 'boolean') return { policy: 'default', value: false };
  return { policy: 'fail' };
}

export async function askHuman(
  session: Session,
  runId: string,
  args: AskArgs,
  signal: AbortSignal,
  graceMs: number,
): Promise<Record<string, unknown>> {
  const schema = answerSchemaOf(args.answer);
  const onTimeout = onTimeoutOf(args, schema);
  const seconds = Math.min(Math.max(Number(args.deadlineSeconds) || DEFAULT_DEADLINE_S, 1), 7 * 24 * 3600);
  const deadline = new Date(Date.now() + seconds * 1000);
  const prompt = String(args.prompt ?? '').slice(0, 4000) || 'May I go ahead?';
  const handle = await session.ask({ prompt, answerSchema: schema, deadline, onTimeout, risk: args.risk ?? 'low', runId });
  let timer: NodeJS.Timeout | undefined;
  const stoppedWaiting = new Promise<'stopped'>((resolve) => {
    // The host resolves default and fail at the deadline; for wait, the agent ends its own wait.
    const ms = onTimeout.policy === 'wait' ? seconds * 1000 + graceMs : seconds * 1000 + Math.max(graceMs, 30_000);
    timer = setTimeout(() => resolve('stopped'), ms);
  });
  const aborted = new Promise<'aborted'>((resolve) => signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
  try {
    const outcome = await Promise.race([handle.resolution, stoppedWaiting, aborted]);
    if (outcome === 'aborted') return { requestId: handle.requestId, outcome: 'abandoned', reason: 'the run was stopped while waiting' };
    if (outcome === 'stopped') {
      await session.send(`I stopped waiting for an answer to "${prompt.slice(0, 200)}": its deadline passed.`, { role: 'agent' });
      return { requestId: handle.requestId, outcome: 'no answer', stoppedWaiting: true };
    }
    return {
      requestId: outcome.requestId,
      outcome: outcome.outcome,
      value: outcome.value,
      decidedBy: outcome.decidedBy,
      by: outcome.by,
      seq: outcome.seq,
    };
  } finally {
    clearTimeout(timer);
  }
}
