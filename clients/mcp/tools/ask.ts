/**
 * ask_human: a Tether input request (prompt, answer schema, deadline, on-timeout policy, risk) and
 * its outcome, taken only from the session's input.resolved event [INPUT-AGENT-1].
 *
 * Two ways to wait, chosen by the MCP client:
 * - a plain tools/call blocks until the decision or the deadline, with notifications/progress
 *   while it waits when the client gave a progressToken;
 * - a task-augmented tools/call (MCP tasks, 2025-11-25) returns a task at once. The task is
 *   `input_required` while the Tether request is open and `completed` with the decision as its
 *   result; a client that cancels the task stops the wait (the Tether request stays open).
 *
 * Every question has a deadline and a declared outcome for it: without onTimeout a yes/no
 * question resolves to "no" at the deadline and any other question fails, so an agent never acts
 * on silence.
 */
import type { CallToolResult, CreateTaskResult } from '@modelcontextprotocol/sdk/types.js';
import type { RequestTaskStore } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CommandDataOf } from '../../../schemas/src/index.ts';
import { newId, type InputResolution } from '../../lib/index.ts';
import { clipped, result } from '../format.ts';
import type { Participant } from '../participant.ts';
import { failureResult, schema, type Args, type ToolContext, type ToolDef } from '../tool.ts';

const DEFAULT_DEADLINE_S = 300;
/** How long past the deadline a `default` or `fail` question waits for the host, which decides within a second [INPUT-DEADLINE-4]. */
const HOST_DECIDES_WITHIN_MS = 10_000;
/** How long a task of a `wait` question stays open past its deadline: a task need not give up at the deadline. */
const WAIT_TASK_PAST_DEADLINE_MS = 3_600_000;
/** How long a decided task keeps its result. */
const RESULT_KEEP_MS = 600_000;
/** Largest answer value returned as it is; a larger one is returned as clipped JSON text. */
const VALUE_CHARS = 8000;

type OnTimeout = NonNullable<CommandDataOf<'input.request'>['onTimeout']>;

interface Question {
  sid: string;
  data: CommandDataOf<'input.request'>;
  deadlineMs: number;
  policy: OnTimeout['policy'];
}

interface Asked {
  requestId: string;
  seq: number;
}

function questionOf(args: Args): Question {
  const answerSchema = (args.answerSchema as Record<string, unknown> | undefined) ?? { type: 'boolean' };
  const onTimeout: OnTimeout =
    (args.onTimeout as OnTimeout | undefined) ??
    (answerSchema.type === 'boolean' ? { policy: 'default', value: false } : { policy: 'fail' });
  const deadlineMs = Date.now() + Number(args.deadlineSeconds ?? DEFAULT_DEADLINE_S) * 1000;
  const data: CommandDataOf<'input.request'> = {
    requestId: newId('in'),
    prompt: String(args.prompt),
    answerSchema,
    deadline: new Date(deadlineMs).toISOString(),
    onTimeout,
    risk: (args.risk as CommandDataOf<'input.request'>['risk']) ?? 'low',
  };
  if (Array.isArray(args.to)) data.to = args.to as string[];
  return { sid: String(args.sid), data, deadlineMs, policy: onTimeout.policy };
}

async function ask(participant: Participant, q: Question): Promise<Asked> {
  const ack = await participant.client.command(q.sid, 'input.request', q.data);
  return { requestId: q.data.requestId, seq: ack.seq };
}

function waitingFor(q: Question, asked: Asked): string {
  const who = q.data.to ? q.data.to.join(', ') : `the people of ${q.sid}`;
  const then =
    q.policy === 'default'
      ? `then ${clipped(JSON.stringify((q.data.onTimeout as { value: unknown }).value), 80)}`
      : q.policy === 'fail'
        ? 'then it fails'
        : 'then it stays open';
  return `waiting for ${who} to answer "${clipped(q.data.prompt, 120)}" (request ${asked.requestId}, deadline ${q.data.deadline}, ${then})`;
}

/** The input.resolved of the request, or undefined when `untilMs` passes or `signal` aborts first. */
async function decision(
  participant: Participant,
  q: Question,
  asked: Asked,
  untilMs: number,
  signal: AbortSignal,
): Promise<InputResolution | undefined> {
  if (signal.aborted) return undefined;
  // From the request's own event on: a decision taken meanwhile is in the catch-up.
  const following = await participant.follow(q.sid, asked.seq - 1);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<InputResolution | undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, untilMs - Date.now()));
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      void following.session.resolution(asked.requestId).then(resolve);
    });
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    following.release();
  }
}

function decisionResult(q: Question, asked: Asked, r: InputResolution | undefined): CallToolResult {
  if (!r) {
    return result({
      sid: q.sid,
      requestId: asked.requestId,
      outcome: 'no answer',
      note:
        q.policy === 'wait'
          ? 'nobody answered by the deadline; the request stays open and a later answer arrives as an input.resolved event (check_inbox, read_session onlyNew)'
          : 'the host has not decided the request yet; a later decision arrives as an input.resolved event (read_session onlyNew)',
    });
  }
  const out: Record<string, unknown> = {
    sid: q.sid,
    requestId: r.requestId,
    outcome: r.outcome,
    decidedBy: r.decidedBy,
    by: r.by,
    seq: r.seq,
  };
  if ('value' in r) {
    const text = JSON.stringify(r.value) ?? 'null';
    if (text.length <= VALUE_CHARS) out.value = r.value;
    else out.valueText = clipped(text, VALUE_CHARS);
  }
  return result(out);
}

async function runBlocking(args: Args, ctx: ToolContext): Promise<CallToolResult> {
  const { participant, extra } = ctx;
  const q = questionOf(args);
  const asked = await ask(participant, q);
  const token = extra._meta?.progressToken;
  const started = Date.now();
  const total = Math.ceil((q.deadlineMs - started) / 1000);
  let last = -1;
  const progress = () => {
    if (token === undefined) return;
    // Seconds waited; strictly increasing, as MCP requires of progress.
    last = Math.max(last + 1, Math.floor((Date.now() - started) / 1000));
    void extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: last, total, message: waitingFor(q, asked) },
      })
      .catch(() => {});
  };
  progress();
  const ticker = setInterval(progress, ctx.progressEveryMs);
  try {
    const untilMs = q.policy === 'wait' ? q.deadlineMs : q.deadlineMs + HOST_DECIDES_WITHIN_MS;
    return decisionResult(q, asked, await decision(participant, q, asked, untilMs, extra.signal));
  } finally {
    clearInterval(ticker);
  }
}

async function startTask(
  args: Args,
  ctx: ToolContext,
  tasks: RequestTaskStore,
  requestedTtl: number | undefined,
): Promise<CreateTaskResult> {
  const q = questionOf(args);
  const untilMs = q.policy === 'wait' ? q.deadlineMs + WAIT_TASK_PAST_DEADLINE_MS : q.deadlineMs + HOST_DECIDES_WITHIN_MS;
  // The receiver may lengthen the requested ttl: the task must outlive the wait.
  const ttl = Math.max(requestedTtl ?? 0, untilMs - Date.now() + RESULT_KEEP_MS);
  const task = await tasks.createTask({ ttl, pollInterval: 1000 });
  const stop = new AbortController();
  const forget = ctx.tasks.onCancel(task.taskId, () => stop.abort());
  void (async () => {
    try {
      const asked = await ask(ctx.participant, q);
      await tasks.updateTaskStatus(task.taskId, 'input_required', waitingFor(q, asked));
      const r = await decision(ctx.participant, q, asked, untilMs, stop.signal);
      if (!stop.signal.aborted) await tasks.storeTaskResult(task.taskId, 'completed', decisionResult(q, asked, r));
    } catch (err) {
      // A tool call that ends in an error result is a failed task.
      if (!stop.signal.aborted) await tasks.storeTaskResult(task.taskId, 'failed', failureResult(err)).catch(() => {});
    } finally {
      forget();
    }
  })();
  return { task };
}

const onTimeoutSchema = {
  description:
    'what the host does at the deadline: apply a default answer, fail, or leave the request open (wait). Default: false for a yes/no question, else fail',
  oneOf: [
    schema.object({ policy: { const: 'default' }, value: { description: 'the answer applied at the deadline; must fit answerSchema' } }, [
      'policy',
      'value',
    ]),
    schema.object({ policy: { const: 'fail' } }, ['policy']),
    schema.object({ policy: { const: 'wait' } }, ['policy']),
  ],
};

export const askHuman: ToolDef = {
  listing: {
    name: 'ask_human',
    title: 'Ask a person',
    description:
      'Ask the people of a Tether session a question and wait for the answer or the deadline. Ask before anything risky or irreversible. ' +
      'The answer is checked against answerSchema (default: yes/no boolean). At the deadline the host applies onTimeout; ' +
      'the result says who decided (a person, or the timeout) and the value.',
    inputSchema: schema.object(
      {
        sid: schema.id('session id'),
        prompt: schema.str('the question, self-contained', { minLength: 1, maxLength: 4000 }),
        answerSchema: {
          type: 'object',
          description: 'JSON Schema of the answer (type, enum, properties, required, ...); default {"type":"boolean"}',
        },
        deadlineSeconds: schema.int(`how long to wait (default ${DEFAULT_DEADLINE_S})`, 5, 7 * 24 * 3600),
        onTimeout: onTimeoutSchema,
        risk: {
          type: 'string',
          enum: ['low', 'medium', 'high'],
          description: 'what is at stake if the answer is wrong (default low); shown to people',
        },
        to: { type: 'array', minItems: 1, maxItems: 64, items: schema.id('user name'), description: 'only these people may answer' },
      },
      ['sid', 'prompt'],
    ),
    annotations: { destructiveHint: false, openWorldHint: true },
    execution: { taskSupport: 'optional' },
  },
  run: runBlocking,
  startTask,
};
