/**
 * Full-text search over the sessions this principal may read, through the host's `search` request.
 * Hosts that do not offer search answer UNKNOWN_TYPE [ENV-TYPE-1]; the tool says so plainly instead
 * of failing obscurely, so the model falls back to read_session.
 */
import { TetherError } from '../../lib/index.ts';
import { clipped, errorResult, result } from '../format.ts';
import { schema, type ToolDef } from '../tool.ts';

interface Hit {
  sid?: unknown;
  seq?: unknown;
  sender?: unknown;
  snippet?: unknown;
  text?: unknown;
}

function hitLine(h: Hit): string {
  const text = typeof h.snippet === 'string' ? h.snippet : typeof h.text === 'string' ? h.text : '';
  return `${String(h.sid)}#${String(h.seq)}${typeof h.sender === 'string' ? ` ${h.sender}` : ''}: ${clipped(text, 300)}`;
}

export const search: ToolDef = {
  listing: {
    name: 'search',
    title: 'Search Tether sessions',
    description:
      'Full-text search over the sessions you take part in (or one session). Hits are sid#seq lines; read around one with read_session after=seq-5.',
    inputSchema: schema.object(
      {
        query: schema.str('words to find', { minLength: 1, maxLength: 500 }),
        sid: schema.id('only this session'),
        limit: schema.int('most hits (default 10)', 1, 50),
      },
      ['query'],
    ),
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  async run(args, { participant }) {
    const data: Record<string, unknown> = { query: String(args.query), limit: Number(args.limit ?? 10) };
    if (typeof args.sid === 'string') data.sid = args.sid;
    let reply: Awaited<ReturnType<typeof participant.client.request>>;
    try {
      reply = await participant.client.request('search', data);
    } catch (err) {
      if (err instanceof TetherError && err.code === 'UNKNOWN_TYPE') {
        return errorResult(
          'SEARCH_UNAVAILABLE',
          'this Tether host does not offer search (it answered UNKNOWN_TYPE); use list_sessions and read_session instead',
        );
      }
      throw err;
    }
    const hits = Array.isArray(reply.data.hits) ? (reply.data.hits as Hit[]) : [];
    const out: Record<string, unknown> = { query: data.query, hits: hits.map(hitLine) };
    if (reply.data.more === true) out.more = true;
    return result(out);
  },
};
