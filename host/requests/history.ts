/**
 * History pages [HOST-HISTORY-*]: events after a cursor, a bounded range, compaction of completed
 * streams, merged deltas of an open stream for a late joiner, and an explicit reset (snapshot at
 * seq N) when the cursor is older than retention: never silence.
 */
import type { EventDataOf, EventEnvelope, HistoryQuery, ReplyDataOf } from '../../schemas/src/index.ts';
import type { Store } from '../store/store.ts';
import { refuse } from '../gate/errors.ts';
import type { TailCache } from '../publish/tail-cache.ts';
import { isEventOf } from '../sequencer/log-event.ts';

type HistoryPage = ReplyDataOf<'history.page'>;

/**
 * The page as the JSON text of a `history.page` reply's data. An uncompacted page inside the
 * in-memory tail is joined from the events' JSON as published; anything else goes through
 * historyPage.
 */
export async function historyPageJson(
  store: Store,
  committedHead: number,
  floorSeq: number,
  q: HistoryQuery,
  maxPage: number,
  maxBytes: number,
  tail?: TailCache,
): Promise<string> {
  const after = q.after ?? 0;
  if (tail && q.compact === false && after >= floorSeq) {
    const limit = pageLimit(q, maxPage);
    const bound = Math.min(q.to ?? committedHead, committedHead);
    const cached = after < bound ? tail.read(q.sid, after, bound, limit) : [];
    if (cached) {
      // The same byte budget as historyPage [HOST-LIMIT-7].
      let budget = maxBytes - 1024;
      let cut = cached.length;
      for (let i = 0; i < cached.length; i++) {
        budget -= Buffer.byteLength(cached[i]!) + 1;
        if (budget < 0) {
          cut = Math.max(1, i);
          break;
        }
      }
      const shortened = cut < cached.length;
      const to = cut === limit || shortened ? after + cut : Math.max(after, bound);
      const events = shortened ? cached.slice(0, cut) : cached;
      return `{"sid":${JSON.stringify(q.sid)},"from":${after},"to":${to},"headSeq":${committedHead},"events":[${events.join(',')}],"more":${to < bound}}`;
    }
  }
  return JSON.stringify(await historyPage(store, committedHead, floorSeq, q, maxPage, maxBytes, tail));
}

function pageLimit(q: HistoryQuery, maxPage: number): number {
  const limit = q.limit ?? Math.min(1000, maxPage);
  if (limit > maxPage)
    refuse('LIMIT_EXCEEDED', 'HOST-LIMIT-4', `limit ${limit} exceeds maxHistoryPage ${maxPage}`, { limit: 'maxHistoryPage', max: maxPage });
  return limit;
}

export async function historyPage(
  store: Store,
  committedHead: number,
  floorSeq: number,
  q: HistoryQuery,
  maxPage: number,
  maxBytes: number,
  tail?: TailCache,
): Promise<HistoryPage> {
  const limit = pageLimit(q, maxPage);
  let after = q.after ?? 0;
  const bound = Math.min(q.to ?? committedHead, committedHead);
  let reset: HistoryPage['reset'];
  if (after < floorSeq) {
    const snap = await store.snapshotAtFloor(q.sid);
    if (snap) {
      reset = snap;
      after = snap.atSeq;
    }
  }
  const cached = after < bound ? tail?.read(q.sid, after, bound, limit) : [];
  let raw: EventEnvelope[] = cached
    ? cached.map((json) => JSON.parse(json) as EventEnvelope)
    : await store.readEvents(q.sid, after, bound, limit);
  // A page stays under maxMessageBytes: fewer events, `more` set [HOST-LIMIT-7]. The reset snapshot counts too.
  let budget = maxBytes - 1024 - (reset ? Buffer.byteLength(JSON.stringify(reset)) : 0);
  let cut = raw.length;
  for (let i = 0; i < raw.length; i++) {
    budget -= Buffer.byteLength(JSON.stringify(raw[i])) + 1;
    if (budget < 0) {
      cut = Math.max(1, i);
      break;
    }
  }
  const shortened = cut < raw.length;
  if (shortened) raw = raw.slice(0, cut);
  const to = raw.length === limit || shortened ? raw[raw.length - 1].seq : Math.max(after, bound);
  // Only streams completed within this page are compacted, so every seq of (from, to] is an event of
  // the page or covered by its message.completed [HIST-COMPACT-2][HIST-PAGE-7].
  const completed = new Set<string>();
  for (const e of raw) if (isEventOf(e, 'message.completed')) completed.add(e.data.msgId);
  const events = q.compact === false ? raw : compactEvents(raw, completed);
  const page: HistoryPage = { sid: q.sid, from: after, to, headSeq: committedHead, events, more: to < bound };
  if (reset) page.reset = reset;
  return page;
}

/**
 * Leaves out the started/delta events of messages whose message.completed (with full parts) is
 * also after the cursor, and merges runs of consecutive deltas of one message into one event
 * carrying n chunks and the last merged seq.
 */
export function compactEvents(events: EventEnvelope[], completed: Set<string>): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  for (const e of events) {
    if ((isEventOf(e, 'message.started') || isEventOf(e, 'message.delta')) && completed.has(e.data.msgId)) continue;
    const last = out[out.length - 1];
    if (isEventOf(e, 'message.delta') && last && isEventOf(last, 'message.delta') && last.data.msgId === e.data.msgId) {
      const merged: EventDataOf<'message.delta'> = {
        msgId: e.data.msgId,
        i: last.data.i,
        n: (last.data.n ?? 1) + 1,
        text: last.data.text + e.data.text,
      };
      out[out.length - 1] = { ...e, cid: e.cid, data: merged };
      if (e.cid === undefined) delete out[out.length - 1].cid;
      continue;
    }
    out.push(e);
  }
  return out;
}
