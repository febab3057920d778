/**
 * The built-in offline demo model: deterministic, no network, no key. It streams at a realistic
 * pace (about 20-50 tokens/s) and makes the tool calls a real model would make for the same
 * conversation: it asks a person before anything it considers risky, archives what it is told is
 * irrelevant, searches when asked to. Everything it writes starts with DEMO_LABEL, so nobody takes
 * its text for a real model's.
 */
import type { ChatMessage, ChatModel, ChatRequest, ModelChunk, ToolCall } from './chat-model.ts';

export const DEMO_LABEL = '[demo model]';
const RISKY = /\b(delete|deploy|drop|wipe|pay|purchase|transfer|restart|shut ?down|rm -rf|force[- ]push)\b/i;
const IRRELEVANT = /\b(irrelevant|ignore (that|this|the (last|previous))|disregard)\b/i;
const SEARCH = /\bsearch(?: for)? ["']?([^"'?.!]{2,80})/i;
/** `[#12 alice]` as the context composer prefixes each turn: the seq the turn came from. */
const SEQ_PREFIX = /^\[#(\d+)\b/;

export interface DemoModelOptions {
  /** Tokens per second, the mean of the pace (default 35; the pace varies deterministically by +-15). 0: no pauses. */
  tokensPerSecond?: number;
}

export class DemoModel implements ChatModel {
  readonly demo = true;
  readonly label = 'Tether demo model (offline, deterministic)';
  private calls = 0;

  constructor(private readonly opts: DemoModelOptions = {}) {}

  async probe(): Promise<void> {}

  async *stream(req: ChatRequest): AsyncIterable<ModelChunk> {
    const reply = this.decide(req.messages);
    if (reply.text) {
      const tokens = reply.text.match(/\S+\s*/g) ?? [];
      for (let i = 0; i < tokens.length; i++) {
        await this.pause(i, req.signal);
        yield { kind: 'text', text: tokens[i] };
      }
    }
    if (reply.call) {
      this.calls++;
      yield { kind: 'tool_call', call: reply.call };
    }
  }

  /** The reply the demo model gives to this context: text, a tool call, or both. */
  decide(messages: ChatMessage[]): { text?: string; call?: ToolCall } {
    const last = messages[messages.length - 1];
    if (last?.role === 'tool') return { text: afterTool(messages, last.content) };
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    const text = lastUser ? stripPrefix(lastUser.content) : '';
    const call = (name: string, args: unknown): ToolCall => ({
      id: `demo_${this.calls + 1}`,
      type: 'function',
      function: { name, arguments: JSON.stringify(args) },
    });
    if (IRRELEVANT.test(text)) {
      const users = messages.filter((m) => m.role === 'user');
      const earlier = users.length > 1 ? SEQ_PREFIX.exec(users[users.length - 2].content) : null;
      if (earlier)
        return {
          text: `${DEMO_LABEL} Understood, I will leave message #${earlier[1]} out of my context.`,
          call: call('archive', { seq: Number(earlier[1]), reason: 'the user said it is irrelevant' }),
        };
    }
    if (RISKY.test(text)) {
      const action = text.length > 120 ? `${text.slice(0, 117)}...` : text;
      return {
        text: `${DEMO_LABEL} This could be risky, so I will ask first.`,
        call: call('ask_human', {
          prompt: `May I go ahead with: "${action}"?`,
          answer: 'boolean',
          risk: 'high',
          deadlineSeconds: 120,
          onTimeout: false,
        }),
      };
    }
    const search = SEARCH.exec(text);
    if (search) return { call: call('search', { query: search[1].trim() }) };
    return { text: answer(text, messages) };
  }

  private pause(i: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError());
    const mean = this.opts.tokensPerSecond ?? 35;
    if (mean <= 0) return Promise.resolve();
    // A deterministic wobble of the pace between mean-15 and mean+15 tokens/s.
    const rate = Math.max(5, mean + ((i * 7) % 31) - 15);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), 1000 / rate);
      const onAbort = () => (clearTimeout(timer), reject(abortError()));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function abortError(): Error {
  const err = new Error('the request was aborted');
  err.name = 'AbortError';
  return err;
}

function stripPrefix(content: string): string {
  return content.replace(/^\[#\d+[^\]]*\]\s*/, '');
}

function answer(text: string, messages: ChatMessage[]): string {
  const words = text.split(/\s+/).filter(Boolean);
  const turns = messages.filter((m) => m.role === 'user').length;
  const topic = words.slice(0, 8).join(' ');
  if (!words.length)
    return `${DEMO_LABEL} Hello. I am the offline demo agent: ask me anything, ask me to deploy something, or tell me a message is irrelevant.`;
  return (
    `${DEMO_LABEL} You asked about "${topic}${words.length > 8 ? ' ...' : ''}". ` +
    `This is turn ${turns} of our conversation, and your message had ${words.length} words. ` +
    'A real model would answer here; I stream this text at a realistic pace so that you can watch ' +
    'tokens arrive, reload the page, switch devices or cut the connection, and see that nothing is lost or repeated.'
  );
}

function afterTool(messages: ChatMessage[], content: string): string {
  const call = [...messages]
    .reverse()
    .find((m): m is Extract<ChatMessage, { role: 'assistant' }> => m.role === 'assistant' && Boolean(m.tool_calls?.length))
    ?.tool_calls?.[0];
  let result: Record<string, unknown> = {};
  try {
    result = JSON.parse(content) as Record<string, unknown>;
  } catch {
    result = { text: content };
  }
  switch (call?.function.name) {
    case 'ask_human': {
      const who =
        result.decidedBy === 'timeout' ? 'the deadline passed, so the default applied' : `${String(result.by ?? 'a person')} answered`;
      return result.value === true
        ? `${DEMO_LABEL} Approved (${who}). I would go ahead now.`
        : `${DEMO_LABEL} Not going ahead: the answer was no (${who}).`;
    }
    case 'archive':
      return `${DEMO_LABEL} Done: that message is archived and stays out of my context.`;
    case 'search': {
      const hits = Array.isArray(result.hits) ? result.hits.length : 0;
      return `${DEMO_LABEL} The search found ${hits} matching event${hits === 1 ? '' : 's'}.`;
    }
    default:
      return `${DEMO_LABEL} The tool ${call?.function.name ?? ''} answered.`;
  }
}
