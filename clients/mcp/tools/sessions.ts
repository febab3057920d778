/**
 * Session tools: list the sessions this principal takes part in, read one (a page, the latest
 * events, or only what this MCP session has not been shown yet), send a message, start a session
 * with people.
 */
import { newId } from '../../lib/index.ts';
import { EVENT_TEXT_CHARS, RESULT_BUDGET_CHARS, clipped, eventLine, result } from '../format.ts';
import { schema, type ToolDef } from '../tool.ts';

export const listSessions: ToolDef = {
  listing: {
    name: 'list_sessions',
    title: 'List Tether sessions',
    description: 'The Tether sessions you take part in, with your role, status and title.',
    inputSchema: schema.object({
      status: { type: 'string', enum: ['open', 'closed'], description: 'only open or only closed sessions' },
      limit: schema.int('most sessions to list (default 20)', 1, 100),
    }),
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  async run(args, { participant }) {
    const q: { limit: number; status?: 'open' | 'closed' } = { limit: Number(args.limit ?? 20) };
    if (args.status === 'open' || args.status === 'closed') q.status = args.status;
    const sessions = await participant.client.listSessions(q);
    return result({
      sessions: sessions.map((s) => `${s.sid} ${s.role} ${s.status} updated ${s.updatedAt}${s.title ? `: ${clipped(s.title, 120)}` : ''}`),
    });
  },
};

export const readSession: ToolDef = {
  listing: {
    name: 'read_session',
    title: 'Read a Tether session',
    description:
      'Read a session log as compact lines (#seq sender: text). By default the latest events; with after, the page after that seq; ' +
      'with onlyNew, only what this MCP session has not been shown yet (from the start if it never read the session). ' +
      'Long texts are clipped and say so: read one event whole with after=seq-1, limit=1 and a larger maxChars.',
    inputSchema: schema.object(
      {
        sid: schema.id('session id'),
        after: schema.int('start after this seq (0: from the beginning)', 0, Number.MAX_SAFE_INTEGER),
        onlyNew: schema.bool('only events after the last one this MCP session was shown'),
        limit: schema.int('most events (default 30)', 1, 200),
        maxChars: schema.int(`longest text per event (default ${EVENT_TEXT_CHARS})`, 50, 20_000),
      },
      ['sid'],
    ),
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  async run(args, { participant, reads }) {
    const client = participant.client;
    const sid = String(args.sid);
    const limit = Number(args.limit ?? 30);
    const maxChars = Number(args.maxChars ?? EVENT_TEXT_CHARS);
    let after: number;
    if (typeof args.after === 'number') after = args.after;
    else if (args.onlyNew === true) after = reads.get(sid);
    else after = Math.max(0, (await client.history(sid, { after: 0, limit: 1 })).headSeq - limit);
    const page = await client.history(sid, { after, limit, compact: true });
    const events: string[] = [];
    let used = 0;
    let clippedTexts = 0;
    let to = page.to;
    for (const e of page.events) {
      const { line, clipped: cut } = eventLine(e, maxChars);
      if (used + line.length > RESULT_BUDGET_CHARS - 1000 && events.length > 0) {
        // Everything before this event is shown; the next read starts at it.
        to = e.seq - 1;
        break;
      }
      events.push(line);
      used += line.length;
      if (cut) clippedTexts++;
    }
    reads.shown(sid, to);
    const out: Record<string, unknown> = { sid, headSeq: page.headSeq, after, to, more: to < page.headSeq, events };
    if (page.reset) out.pruned = `events up to #${page.reset.atSeq} are no longer kept (retention)`;
    if (clippedTexts)
      out.clipped = `${clippedTexts} texts were clipped to ${maxChars} chars; read one whole with after=seq-1, limit=1, maxChars up to 20000`;
    if (to < page.headSeq) out.next = { sid, after: to };
    return result(out);
  },
};

export const sendMessage: ToolDef = {
  listing: {
    name: 'send_message',
    title: 'Send a message',
    description: 'Send a complete message to a Tether session you take part in. For a long answer, post_answer streams it instead.',
    inputSchema: schema.object(
      {
        sid: schema.id('session id'),
        text: schema.str('the message', { minLength: 1, maxLength: 60_000 }),
        replyToSeq: schema.int('seq of the message this answers', 1, Number.MAX_SAFE_INTEGER),
      },
      ['sid', 'text'],
    ),
    annotations: { destructiveHint: false, openWorldHint: true },
  },
  async run(args, { participant }) {
    const sid = String(args.sid);
    const msgId = newId('m');
    const data: Record<string, unknown> = { msgId, role: 'agent', parts: [{ kind: 'text', text: String(args.text) }] };
    if (typeof args.replyToSeq === 'number') data.replyToSeq = args.replyToSeq;
    const ack = await participant.client.command(sid, 'message.send', data);
    return result({ sid, seq: ack.seq, msgId });
  },
};

const PARTICIPANT_ROLES = ['member', 'approver', 'viewer', 'owner', 'agent'];

export const createSession: ToolDef = {
  listing: {
    name: 'create_session',
    title: 'Create a session with people',
    description:
      'Start a new Tether session (you are its owner) with the people who should see it, and optionally post a first message. ' +
      'People learn of it on their devices. Members may write and answer questions; approvers only answer questions; viewers only read.',
    inputSchema: schema.object(
      {
        title: schema.str('title (up to 200 characters)', { minLength: 1, maxLength: 200 }),
        participants: {
          type: 'array',
          maxItems: 64,
          description: 'the other participants',
          items: schema.object(
            { principal: schema.id('user name'), role: { type: 'string', enum: PARTICIPANT_ROLES, description: 'default member' } },
            ['principal'],
          ),
        },
        text: schema.str('a first message', { minLength: 1, maxLength: 60_000 }),
      },
      ['title', 'participants'],
    ),
    annotations: { destructiveHint: false, openWorldHint: true },
  },
  async run(args, { participant }) {
    const client = participant.client;
    const people = (args.participants as { principal: string; role?: string }[]).map((p) => ({
      principal: p.principal,
      role: (p.role ?? 'member') as 'member',
    }));
    const sid = await client.createSession({ title: String(args.title), participants: people, metadata: { startedBy: 'mcp' } });
    const out: Record<string, unknown> = { sid, participants: people.map((p) => `${p.principal}(${p.role})`) };
    if (typeof args.text === 'string') {
      const ack = await client.command(sid, 'message.send', {
        msgId: newId('m'),
        role: 'agent',
        parts: [{ kind: 'text', text: args.text }],
      });
      out.messageSeq = ack.seq;
    }
    return result(out);
  },
};
