/**
 * search: full text over the message text of the sessions the requester participates in
 * [HOST-SEARCH-1..8]. The query is plain words; nothing of it reaches the store as query syntax.
 */
import { refuse } from '../gate/errors.ts';
import { roleOf } from '../sequencer/rules/admission.ts';
import type { SearchQuery } from '../store/store.ts';
import { reply, type RequestHandler } from './context.ts';

/** Most words of a query that are searched; more only narrow it further and cost time. */
const MAX_WORDS = 16;

/** Runs of letters, digits and combining marks, as the index's unicode61 tokenizer splits text. */
export function queryWords(query: string): string[] {
  return (query.normalize('NFC').match(/[\p{L}\p{N}\p{M}]+/gu) ?? []).slice(0, MAX_WORDS);
}

type Position = NonNullable<SearchQuery['before']>;

function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify([p.time, p.sid, p.seq])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const [time, sid, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof time === 'string' && typeof sid === 'string' && Number.isSafeInteger(seq)) return { time, sid, seq: seq as number };
  } catch {}
  refuse('SCHEMA_INVALID', 'HOST-SEARCH-6', 'before is not a cursor this host gave out');
}

export const search: RequestHandler<'search'> = async (ctx, principal, req) => {
  const { query, sid, limit = 10, before } = req.data;
  if (sid !== undefined) {
    const session = await ctx.sessions.get(sid);
    if (!session) refuse('SESSION_NOT_FOUND', 'HOST-SEARCH-2', `no session ${sid}`);
    if (!roleOf(session.row.state, principal)) refuse('NOT_PARTICIPANT', 'HOST-SEARCH-2', `${principal} is not a participant of ${sid}`);
  }
  const words = queryWords(query);
  if (words.length === 0) refuse('SCHEMA_INVALID', 'HOST-SEARCH-4', 'the query holds no word (letters or digits)');
  const q: SearchQuery = { principal, words, limit };
  if (sid !== undefined) q.sid = sid;
  if (before !== undefined) q.before = decodeCursor(before);
  // A snippet is at most 16 tokens, but a token can be long: hits stay small [HOST-SEARCH-8].
  const hits = (await ctx.store.search(q)).map((h) =>
    h.snippet.length > 300 ? { ...h, snippet: `${[...h.snippet].slice(0, 299).join('')}…` } : h,
  );
  const last = hits[hits.length - 1];
  // A full page may have a successor; an empty next page is the honest end [HOST-SEARCH-5].
  const next = hits.length === limit && last ? encodeCursor(last) : undefined;
  void reply(ctx, req, 'search.results', next ? { hits, next } : { hits });
};
