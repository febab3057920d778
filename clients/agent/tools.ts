/**
 * The tools the agent offers its model. Each one pulls or does something through the protocol;
 * nothing reaches the model's context except a tool's result, which is itself an event in the log.
 * Results are compact: a model's context is small.
 */
import type { Inbox, Session, TetherClient } from '../lib/index.ts';
import type { ToolSpec } from './model/chat-model.ts';
import { MARK } from './transcript.ts';

export interface ToolContext {
  client: TetherClient;
  inbox: Inbox;
  session: Session;
  runId: string;
  signal: AbortSignal;
  /** Ask a person, with the agent's rules for deadlines and risky defaults (see asking.ts). */
  askHuman(args: AskArgs): Promise<Record<string, unknown>>;
}

export interface AskArgs {
  prompt: string;
  answer?: 'boolean' | 'string' | 'number' | Record<string, unknown>;
  risk?: 'low' | 'medium' | 'high';
  deadlineSeconds?: number;
  /** The answer applied at the deadline; 'fail' or 'wait' for those policies. */
  onTimeout?: unknown;
}

const str = (description: string) => ({ type: 'string', description });
const int = (description: string) => ({ type: 'integer', description });

export const TOOL_SPECS: ToolSpec[] = [
  {
    name: 'check_inbox',
    description: 'List your pending inbox items (work waiting for you), oldest first.',
    parameters: { type: 'object', properties: { limit: int('at most this many (default 20)') } },
  },
  {
    name: 'read_session',
    description: 'Read a page of a session log as compact lines (seq, sender, text).',
    parameters: {
      type: 'object',
      properties: {
        sid: str('session id (default: this session)'),
        after: int('start after this seq (default 0)'),
        limit: int('events (default 50)'),
      },
    },
  },
  {
    name: 'search',
    description: 'Full-text search over the sessions you may read.',
    parameters: {
      type: 'object',
      properties: { query: str('words to find'), sid: str('only this session'), limit: int('hits (default 10)') },
      required: ['query'],
    },
  },
  {
    name: 'send_message',
    description: 'Send a message to a session you take part in.',
    parameters: {
      type: 'object',
      properties: { sid: str('session id (default: this session)'), text: str('the message') },
      required: ['text'],
    },
  },
  {
    name: 'create_session',
    description: 'Start a new session with people and post a first message.',
    parameters: {
      type: 'object',
      properties: {
        title: str('title'),
        participants: { type: 'array', items: { type: 'string' }, description: 'principals to add as members' },
        text: str('first message'),
      },
      required: ['title'],
    },
  },
  {
    name: 'ask_human',
    description: 'Ask the people of this session and wait for the answer (or the deadline). Ask before anything risky.',
    parameters: {
      type: 'object',
      properties: {
        prompt: str('the question'),
        answer: { description: "'boolean', 'string', 'number', or a JSON Schema of the answer" },
        risk: { type: 'string', enum: ['low', 'medium', 'high'] },
        deadlineSeconds: int('how long to wait (default 300)'),
        onTimeout: { description: "the answer to apply at the deadline, or 'fail' or 'wait'; risky questions default to no" },
      },
      required: ['prompt'],
    },
  },
  {
    name: 'archive',
    description: 'Leave an inbox item or an earlier message of this session out of your attention and context, with a reason.',
    parameters: {
      type: 'object',
      properties: { itemId: str('inbox item'), seq: int('seq of an earlier message of this session'), reason: str('why') },
      required: ['reason'],
    },
  },
  {
    name: 'defer',
    description: 'Hide an inbox item until a later time.',
    parameters: {
      type: 'object',
      properties: { itemId: str('inbox item'), until: str('ISO time'), minutes: int('or: minutes from now') },
      required: ['itemId'],
    },
  },
];

type Args = Record<string, unknown>;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function textOfEvent(e: { type: string; data: Record<string, unknown> }): string {
  const parts = (e.data.parts as { kind: string; text?: string }[] | undefined) ?? [];
  const text = parts
    .filter((p) => p.kind === 'text')
    .map((p) => p.text)
    .join(' ');
  if (text) return text;
  if (e.type === 'message.delta') return String(e.data.text ?? '');
  if (e.type === 'steer') return `steer: ${String(e.data.text)}`;
  return e.type;
}

/** Runs one tool call; a failure is a result the model can read, never an exception. */
export async function runTool(name: string, args: Args, ctx: ToolContext): Promise<{ result: unknown; isError: boolean }> {
  try {
    return { result: await dispatch(name, args, ctx), isError: false };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { result: { error: e.code ?? 'TOOL_FAILED', message: clip(String(e.message ?? err), 300) }, isError: true };
  }
}

async function dispatch(name: string, a: Args, ctx: ToolContext): Promise<unknown> {
  const sid = typeof a.sid === 'string' && a.sid ? a.sid : ctx.session.sid;
  switch (name) {
    case 'check_inbox': {
      const page = await ctx.inbox.list(Math.min(Number(a.limit) || 20, 100));
      return {
        pending: page.pending,
        items: page.items.map((i) => ({ itemId: i.itemId, sid: i.sid, seq: i.seq, kind: i.kind, summary: i.summary })),
      };
    }
    case 'read_session': {
      const page = await ctx.client.history(sid, { after: Number(a.after) || 0, limit: Math.min(Number(a.limit) || 50, 200) });
      return {
        sid,
        headSeq: page.headSeq,
        more: page.more,
        lines: page.events.map((e) => `${e.seq} ${e.sender}: ${clip(textOfEvent(e), 300)}`),
      };
    }
    case 'search': {
      const data: Args = { query: String(a.query ?? ''), limit: Math.min(Number(a.limit) || 10, 50) };
      if (typeof a.sid === 'string') data.sid = a.sid;
      const reply = await ctx.client.request('search', data);
      const hits = ((reply.data as { hits?: { sid: string; seq: number; sender: string; snippet: string }[] }).hits ?? []).map((h) => ({
        sid: h.sid,
        seq: h.seq,
        sender: h.sender,
        snippet: clip(h.snippet, 200),
      }));
      return { hits };
    }
    case 'send_message': {
      const ack = await ctx.client.command(sid, 'message.send', {
        msgId: `m-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
        role: 'agent',
        parts: [{ kind: 'text', text: String(a.text ?? '') }],
      });
      return { sid, seq: ack.seq };
    }
    case 'create_session': {
      const people = Array.isArray(a.participants) ? a.participants.map(String) : [];
      const newSid = await ctx.client.createSession({
        title: clip(String(a.title ?? 'untitled'), 200),
        participants: people.map((p) => ({ principal: p, role: 'member' })),
      });
      if (typeof a.text === 'string' && a.text)
        await ctx.client.command(newSid, 'message.send', {
          msgId: `m-${newSid}-1`,
          role: 'agent',
          parts: [{ kind: 'text', text: a.text }],
        });
      return { sid: newSid };
    }
    case 'ask_human':
      return ctx.askHuman(a as unknown as AskArgs);
    case 'archive': {
      const reason = clip(String(a.reason ?? 'no reason given'), 500);
      const out: Args = {};
      if (typeof a.itemId === 'string') out.affected = await ctx.inbox.archive([a.itemId], reason);
      if (typeof a.seq === 'number') {
        // The mark is in the log, so the exclusion holds after a restart too.
        await ctx.session.send([{ kind: 'json', value: { type: MARK.archive, seq: a.seq, reason } }], { role: 'system' });
        out.archivedSeq = a.seq;
      }
      if (!('affected' in out) && !('archivedSeq' in out))
        throw Object.assign(new Error('name an itemId or a seq'), { code: 'BAD_ARGUMENTS' });
      return out;
    }
    case 'defer': {
      const until = typeof a.until === 'string' ? a.until : new Date(Date.now() + (Number(a.minutes) || 60) * 60_000).toISOString();
      return { affected: await ctx.inbox.defer([String(a.itemId)], until), until };
    }
    default:
      throw Object.assign(new Error(`no tool named ${name}`), { code: 'UNKNOWN_TOOL' });
  }
}
