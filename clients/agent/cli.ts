/**
 * `tether agent`: the reference agent as a daemon. With no model endpoint configured it runs the
 * offline demo model, so it needs no key. `--task` runs one task in a new session and exits;
 * `--schedule CRON --task ...` starts that session at every tick and keeps serving.
 */
import { parseFlags, usage, type FlagSpec } from '../../common/flags.ts';
import { isId } from '../../protocol/topics.ts';
import { ReferenceAgent, type AgentOptions } from './agent.ts';
import { DOUBLE_TEXTING, type DoubleTexting } from './conversation.ts';
import { DemoModel } from './model/demo-model.ts';
import { OpenAIModel } from './model/openai-model.ts';
import type { ChatModel } from './model/chat-model.ts';

export const AGENT_FLAGS: FlagSpec[] = [
  { flag: 'url', env: 'TETHER_URL', help: 'broker URL (mqtt://, mqtts://, ws://, wss://)', default: 'mqtt://127.0.0.1:1883' },
  { flag: 'agent-id', env: 'TETHER_AGENT_ID', help: 'the agent principal (MQTT username)', default: 'assistant' },
  { flag: 'password', env: 'TETHER_PASSWORD', help: 'password or token of the agent principal' },
  {
    flag: 'llm-base-url',
    env: 'TETHER_LLM_BASE_URL',
    help: 'OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (Ollama); none: the offline demo model',
  },
  { flag: 'llm-model', env: 'TETHER_LLM_MODEL', help: 'model name at the endpoint', default: 'gpt-4o-mini' },
  { flag: 'task', env: '', help: 'start a session with this task (one shot, or at every --schedule tick)' },
  { flag: 'schedule', env: 'TETHER_AGENT_SCHEDULE', help: 'cron expression for --task (croner syntax, e.g. "0 8 * * 1-5")' },
  { flag: 'title', env: '', help: 'title of the task session (default: the task)' },
  { flag: 'participants', env: 'TETHER_AGENT_PARTICIPANTS', help: 'comma-separated people to add to task sessions' },
  {
    flag: 'double-texting',
    env: 'TETHER_DOUBLE_TEXTING',
    help: 'a message during a run: interrupt, enqueue or reject (per session: metadata.doubleTexting)',
    default: 'interrupt',
  },
  { flag: 'max-model-calls', env: 'TETHER_MAX_MODEL_CALLS', help: 'model calls in flight across all sessions', default: '16' },
  { flag: 'budget-tokens', env: 'TETHER_BUDGET_TOKENS', help: 'token budget of each model call context', default: '6000' },
  { flag: 'demo-tokens-per-second', env: 'TETHER_DEMO_TPS', help: 'pace of the demo model (0: no pauses)', default: '35' },
  { flag: 'help', env: '', help: 'show this help', boolean: true },
];

export class UsageError extends Error {}

/** The model the flags and environment name: an OpenAI-compatible endpoint, else the demo model. */
export function modelFrom(values: Record<string, string | boolean | undefined>, env = process.env): ChatModel {
  const key = env.TETHER_LLM_API_KEY ?? env.OPENAI_API_KEY;
  const base =
    typeof values['llm-base-url'] === 'string' && values['llm-base-url']
      ? values['llm-base-url']
      : key
        ? 'https://api.openai.com/v1'
        : undefined;
  if (!base) return new DemoModel({ tokensPerSecond: Number(values['demo-tokens-per-second'] ?? 35) });
  try {
    new URL(base);
  } catch {
    throw new UsageError(`--llm-base-url is not a URL: ${base}`);
  }
  return new OpenAIModel({ baseURL: base, model: String(values['llm-model']), apiKey: key });
}

export function agentOptionsFrom(values: Record<string, string | boolean | undefined>, log: AgentOptions['log']): AgentOptions {
  const agentId = String(values['agent-id']);
  if (!isId(agentId)) throw new UsageError(`--agent-id must be an id (letters, digits, . _ -), got ${JSON.stringify(agentId)}`);
  const dt = String(values['double-texting']);
  if (!DOUBLE_TEXTING.includes(dt as DoubleTexting))
    throw new UsageError(`--double-texting must be one of ${DOUBLE_TEXTING.join(', ')}, got ${dt}`);
  const positive = (name: string) => {
    const n = Number(values[name]);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
    return n;
  };
  return {
    url: String(values.url),
    agentId,
    password: typeof values.password === 'string' ? values.password : undefined,
    model: modelFrom(values),
    doubleTexting: dt as DoubleTexting,
    maxModelCalls: positive('max-model-calls'),
    budgetTokens: positive('budget-tokens'),
    log,
  };
}

function stderrLog(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), component: 'agent', msg, ...fields })}\n`);
}

export async function main(argv: string[]): Promise<number | void> {
  let values: Record<string, string | boolean | undefined>;
  let opts: AgentOptions;
  try {
    values = parseFlags(argv, AGENT_FLAGS);
    if (values.help) {
      process.stdout.write(
        usage('agent', 'Runs the reference agent (offline demo model unless --llm-base-url or an API key is set).', AGENT_FLAGS),
      );
      return 0;
    }
    opts = agentOptionsFrom(values, stderrLog);
    if (values.schedule && !values.task) throw new UsageError('--schedule needs --task');
  } catch (err) {
    console.error(`tether agent: ${(err as Error).message}`);
    return 2;
  }
  const agent = new ReferenceAgent(opts);
  try {
    await agent.start();
  } catch (err) {
    console.error(`tether agent: cannot start: ${(err as Error).message}`);
    await agent.stop().catch(() => {});
    return 3;
  }
  console.log(`tether agent: ${opts.agentId} online at ${opts.url} (model: ${opts.model.label})`);
  const task =
    typeof values.task === 'string'
      ? {
          task: values.task,
          title: typeof values.title === 'string' ? values.title : undefined,
          participants: splitList(values.participants),
        }
      : undefined;
  if (task && !values.schedule) {
    const result = await agent.runTask(task);
    console.log(JSON.stringify(result));
    await agent.stop();
    return result.status === 'completed' ? 0 : 1;
  }
  if (task && typeof values.schedule === 'string') {
    try {
      const job = agent.schedule(values.schedule, task);
      console.log(`tether agent: task scheduled "${values.schedule}", next run ${job.nextRun()?.toISOString() ?? 'never'}`);
    } catch (err) {
      console.error(`tether agent: bad --schedule: ${(err as Error).message}`);
      await agent.stop();
      return 2;
    }
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await agent.stop();
}

function splitList(v: string | boolean | undefined): string[] {
  return typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}
