/**
 * Embedded store on SQLite (better-sqlite3, WAL). A commit is one transaction, so a batch of
 * many accepted commands costs one fsync (group commit) [HOST-DURABLE-5].
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SessionState } from '../../schemas/src/index.ts';
import {
  eventKey,
  type CommitBatch,
  type InboxChange,
  type InboxRecord,
  type InputDeadline,
  type SearchQuery,
  type SearchRow,
  searchableText,
  type SessionRow,
  type Store,
  type StoredEvent,
} from './store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  sid TEXT PRIMARY KEY, state TEXT NOT NULL, streams TEXT NOT NULL, floor_seq INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL, floor_state TEXT);
CREATE INDEX IF NOT EXISTS sessions_created_by ON sessions (created_by);
CREATE TABLE IF NOT EXISTS events (
  sid TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, sender TEXT NOT NULL, cid TEXT,
  time TEXT NOT NULL, data TEXT NOT NULL, key TEXT, PRIMARY KEY (sid, seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS events_command ON events (sid, sender, cid) WHERE cid IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_key ON events (sid, key, type) WHERE key IS NOT NULL;
-- Identity of events dropped by retention: command ids and msg/run/request ids stay used [HOST-IDEM-3].
CREATE TABLE IF NOT EXISTS pruned (sid TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, sender TEXT NOT NULL,
  cid TEXT, key TEXT, PRIMARY KEY (sid, seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS pruned_command ON pruned (sid, sender, cid) WHERE cid IS NOT NULL;
CREATE INDEX IF NOT EXISTS pruned_key ON pruned (sid, key, type) WHERE key IS NOT NULL;
CREATE TABLE IF NOT EXISTS participants (sid TEXT NOT NULL, principal TEXT NOT NULL, role TEXT NOT NULL,
  PRIMARY KEY (principal, sid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deadlines (sid TEXT NOT NULL, request_id TEXT NOT NULL, request_seq INTEGER NOT NULL,
  deadline TEXT NOT NULL, PRIMARY KEY (sid, request_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (item INTEGER PRIMARY KEY AUTOINCREMENT, agent TEXT NOT NULL, sid TEXT NOT NULL,
  seq INTEGER NOT NULL, kind TEXT NOT NULL, created_at TEXT NOT NULL, summary TEXT,
  state TEXT NOT NULL DEFAULT 'pending', deferred_until TEXT, reason TEXT, changed_at TEXT);
CREATE INDEX IF NOT EXISTS inbox_agent ON inbox (agent, state, item);
CREATE TABLE IF NOT EXISTS results (sid TEXT PRIMARY KEY, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, payload TEXT NOT NULL, epoch INTEGER NOT NULL);
-- Full-text index of message text [HOST-SEARCH-1]; rows leave with their events [HOST-SEARCH-7].
CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5 (text, sid UNINDEXED, seq UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
`;

type EventRow = { sid: string; seq: number; type: string; sender: string; cid: string | null; time: string; data: string };

function toEvent(r: EventRow): StoredEvent {
  const e: StoredEvent = { v: 1, sid: r.sid, seq: r.seq, type: r.type, time: r.time, sender: r.sender, data: JSON.parse(r.data) };
  if (r.cid !== null) e.cid = r.cid;
  return e;
}

export interface SqliteStoreOptions {
  /** FULL syncs the WAL at every commit (survives power loss); NORMAL survives process crashes only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Most MiB SQLite keeps in its page cache (default 64; allocated as used). */
  cacheMiB?: number;
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly stmt;
  private readonly commitTransaction: (batch: CommitBatch) => string[];

  constructor(file: string, options: SqliteStoreOptions = {}) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    // The command-id index is probed once per command at random keys: with SQLite's default 2 MB
    // page cache most probes read pages through the OS (findCommand was 15% of the host's CPU).
    this.db.pragma(`cache_size = -${Math.round((options.cacheMiB ?? 64) * 1024)}`);
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmt = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      getSession: db.prepare<[string], { state: string; streams: string; floor_seq: number }>(
        'SELECT state, streams, floor_seq FROM sessions WHERE sid = ?',
      ),
      putSession: db.prepare(
        `INSERT INTO sessions (sid, state, streams, floor_seq, created_by, status, updated_at) VALUES (@sid, @state, @streams, @floor, @createdBy, @status, @updatedAt)
         ON CONFLICT (sid) DO UPDATE SET state = excluded.state, streams = excluded.streams, status = excluded.status, updated_at = excluded.updated_at`,
      ),
      findCommand: db.prepare<[string, string, string, string, string, string], { seq: number; type: string }>(
        'SELECT seq, type FROM events WHERE sid = ? AND sender = ? AND cid = ? UNION ALL SELECT seq, type FROM pruned WHERE sid = ? AND sender = ? AND cid = ? LIMIT 1',
      ),
      commandKeys: db.prepare(
        'SELECT sender || char(0) || cid FROM events WHERE sid = ? AND cid IS NOT NULL UNION ALL SELECT sender || char(0) || cid FROM pruned WHERE sid = ? AND cid IS NOT NULL',
      ),
      insertEvent: db.prepare('INSERT INTO events (sid, seq, type, sender, cid, time, data, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      readEvents: db.prepare<[string, number, number, number], EventRow>(
        'SELECT * FROM events WHERE sid = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
      ),
      putParticipant: db.prepare(
        'INSERT INTO participants (sid, principal, role) VALUES (?, ?, ?) ON CONFLICT (principal, sid) DO UPDATE SET role = excluded.role',
      ),
      delParticipant: db.prepare('DELETE FROM participants WHERE sid = ? AND principal = ?'),
      addDeadline: db.prepare('INSERT OR REPLACE INTO deadlines (sid, request_id, request_seq, deadline) VALUES (?, ?, ?, ?)'),
      delDeadline: db.prepare('DELETE FROM deadlines WHERE sid = ? AND request_id = ?'),
      addInbox: db.prepare(
        'INSERT INTO inbox (agent, sid, seq, kind, created_at, summary) VALUES (@agent, @sid, @seq, @kind, @createdAt, @summary)',
      ),
      putResult: db.prepare('INSERT INTO results (sid, payload) VALUES (?, ?) ON CONFLICT (sid) DO UPDATE SET payload = excluded.payload'),
      keepPruned: db.prepare(
        'INSERT OR IGNORE INTO pruned (sid, seq, type, sender, cid, key) SELECT sid, seq, type, sender, cid, key FROM events WHERE sid = ? AND seq <= ? AND (cid IS NOT NULL OR key IS NOT NULL)',
      ),
      prune: db.prepare('DELETE FROM events WHERE sid = ? AND seq <= ?'),
      setFloor: db.prepare('UPDATE sessions SET floor_seq = ?, floor_state = ? WHERE sid = ?'),
      floor: db.prepare<[string], { floor_seq: number; floor_state: string | null }>(
        'SELECT floor_seq, floor_state FROM sessions WHERE sid = ?',
      ),
      sessionsOf: db.prepare<[string, string | null, string | null, number], { state: string; role: string }>(
        `SELECT s.state, p.role FROM participants p JOIN sessions s ON s.sid = p.sid
         WHERE p.principal = ? AND (? IS NULL OR s.status = ?) ORDER BY s.updated_at DESC LIMIT ?`,
      ),
      countCreated: db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM sessions WHERE created_by = ? AND status = 'open'`),
      allSessions: db.prepare<[], { state: string; streams: string; floor_seq: number }>('SELECT state, streams, floor_seq FROM sessions'),
      deadlines: db.prepare<[], { sid: string; request_id: string; request_seq: number; deadline: string }>('SELECT * FROM deadlines'),
      inboxList: db.prepare<
        [string, string, number],
        {
          item: number;
          agent: string;
          sid: string;
          seq: number;
          kind: string;
          created_at: string;
          summary: string | null;
          deferred_until: string | null;
        }
      >(
        `SELECT * FROM inbox WHERE agent = ? AND (state = 'pending' OR (state = 'deferred' AND deferred_until <= ?)) ORDER BY item LIMIT ?`,
      ),
      inboxPending: db.prepare<[string, string], { n: number }>(
        `SELECT count(*) AS n FROM inbox WHERE agent = ? AND (state = 'pending' OR (state = 'deferred' AND deferred_until <= ?))`,
      ),
      inboxAgents: db.prepare<[], { agent: string }>('SELECT DISTINCT agent FROM inbox'),
      inboxHas: db.prepare<[number, string], { item: number }>('SELECT item FROM inbox WHERE item = ? AND agent = ?'),
      inboxChange: db.prepare(
        `UPDATE inbox SET state = @state, reason = @reason, deferred_until = @until, changed_at = @now
         WHERE item = @item AND agent = @agent AND state IN ('pending', 'deferred')`,
      ),
      results: db.prepare<[], { sid: string; payload: string }>('SELECT sid, payload FROM results'),
      putAgent: db.prepare(
        // Highest epoch wins; within one epoch an offline state is final [HOST-LIVE-4].
        `INSERT INTO agents (agent_id, payload, epoch) VALUES (?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET payload = excluded.payload, epoch = excluded.epoch
         WHERE excluded.epoch > agents.epoch OR (excluded.epoch = agents.epoch AND json_extract(agents.payload, '$.status') <> 'offline')`,
      ),
      agents: db.prepare<[], { agent_id: string; payload: string }>('SELECT agent_id, payload FROM agents'),
      indexText: db.prepare('INSERT INTO search_text (text, sid, seq) VALUES (?, ?, ?)'),
      pruneText: db.prepare('DELETE FROM search_text WHERE sid = ? AND seq <= ?'),
      search: db.prepare<
        [
          {
            principal: string;
            match: string;
            sid: string | null;
            time: string | null;
            bsid: string | null;
            seq: number | null;
            limit: number;
          },
        ],
        SearchRow & { title: string | null }
      >(
        `SELECT e.sid, e.seq, e.type, e.sender, e.time, snippet(search_text, 0, '', '', '…', 16) AS snippet,
                json_extract(s.state, '$.title') AS title
         FROM search_text
         JOIN participants p ON p.sid = search_text.sid AND p.principal = @principal
         JOIN events e ON e.sid = search_text.sid AND e.seq = search_text.seq
         JOIN sessions s ON s.sid = search_text.sid
         WHERE search_text MATCH @match AND (@sid IS NULL OR search_text.sid = @sid)
           AND (@time IS NULL OR (e.time, e.sid, e.seq) < (@time, @bsid, @seq))
         ORDER BY e.time DESC, e.sid DESC, e.seq DESC LIMIT @limit`,
      ),
    };
    this.backfillSearch();
    this.commitTransaction = db.transaction((batch: CommitBatch) => this.commitRows(batch));
    // FULL durability without blocking the event loop: SQLite runs with NORMAL (the WAL is synced
    // before and the database after each checkpoint, but not at each commit), and every write
    // method syncs the WAL itself with fdatasync on libuv's thread pool before it resolves. A
    // resolved commit is then on disk exactly as with FULL (the WAL holds its frames, checksummed),
    // while the broker and the host keep running during the sync.
    const wal = `${file}-wal`;
    if ((options.synchronous ?? 'FULL') === 'FULL' && file !== ':memory:' && existsSync(wal)) {
      this.walFd = openSync(wal, 'r');
      db.pragma('synchronous = NORMAL');
    }
  }

  /** -1: no WAL of our own to sync (NORMAL, or an in-memory database). */
  private walFd = -1;
  /** WAL syncs done (for tests and metrics). */
  walSyncs = 0;

  /** Resolves when everything written so far is on disk (FULL), at once otherwise. */
  private durable(): Promise<void> {
    if (this.walFd < 0) return Promise.resolve();
    return new Promise((resolve, reject) =>
      fdatasync(this.walFd, (err) => {
        if (err) return reject(err);
        this.walSyncs++;
        resolve();
      }),
    );
  }

  async nextEpoch(hostId: string): Promise<number> {
    const key = `epoch:${hostId}`;
    const next = this.db.transaction(() => {
      const n = Number(this.stmt.getMeta.get(key)?.value ?? 0) + 1;
      this.stmt.setMeta.run(key, String(n));
      return n;
    })();
    await this.durable();
    return next;
  }

  async getSession(sid: string): Promise<SessionRow | undefined> {
    const r = this.stmt.getSession.get(sid);
    return r && { state: JSON.parse(r.state), streams: JSON.parse(r.streams), floorSeq: r.floor_seq };
  }

  async commandKeys(sid: string): Promise<string[]> {
    return this.stmt.commandKeys.pluck().all(sid, sid) as string[];
  }

  async findCommand(sid: string, sender: string, cid: string) {
    return this.stmt.findCommand.get(sid, sender, cid, sid, sender, cid);
  }

  private commitRows(batch: CommitBatch): string[] {
    const s = this.stmt;
    for (const e of batch.events) {
      s.insertEvent.run(e.sid, e.seq, e.type, e.sender, e.cid ?? null, e.time, JSON.stringify(e.data), eventKey(e.data));
      // Indexed in the commit's transaction, so a hit always names a committed event [HOST-SEARCH-1].
      const text = searchableText(e.type, e.data);
      if (text !== undefined) s.indexText.run(text, e.sid, e.seq);
    }
    for (const row of batch.sessions) {
      s.putSession.run({
        sid: row.state.sid,
        state: JSON.stringify(row.state),
        streams: JSON.stringify(row.streams),
        floor: row.floorSeq,
        createdBy: row.state.createdBy,
        status: row.state.status,
        updatedAt: row.state.updatedAt,
      });
    }
    for (const p of batch.participants) {
      if (p.role === null) s.delParticipant.run(p.sid, p.principal);
      else s.putParticipant.run(p.sid, p.principal, p.role);
    }
    for (const d of batch.deadlinesAdded) s.addDeadline.run(d.sid, d.requestId, d.requestSeq, d.deadline);
    for (const d of batch.deadlinesRemoved) s.delDeadline.run(d.sid, d.requestId);
    const ids: string[] = [];
    for (const item of batch.inboxAdded) {
      const info = s.addInbox.run({ ...item, summary: item.summary ?? null });
      ids.push(`it${info.lastInsertRowid}`);
    }
    for (const r of batch.results) s.putResult.run(r.sid, r.payload);
    return ids;
  }

  async commit(batch: CommitBatch): Promise<string[]> {
    const ids = this.commitTransaction(batch);
    await this.durable();
    return ids;
  }

  async readEvents(sid: string, after: number, to: number, limit: number): Promise<StoredEvent[]> {
    return this.stmt.readEvents.all(sid, after, to, limit).map(toEvent);
  }

  private readonly findStatements = new Map<string, { live: Database.Statement; gone: Database.Statement }>();

  async findEvent(sid: string, types: string[], key: string | undefined, which: 'first' | 'latest') {
    const cacheKey = `${types.length}:${key === undefined}:${which}`;
    let st = this.findStatements.get(cacheKey);
    if (!st) {
      const order = which === 'first' ? 'ASC' : 'DESC';
      const marks = types.map(() => '?').join(', ');
      // The planner otherwise walks the whole session by primary key; the partial key index only serves key = ?.
      const [liveFrom, goneFrom, keyTest] =
        key === undefined
          ? ['events', 'pruned', 'key IS NULL']
          : ['events INDEXED BY events_key', 'pruned INDEXED BY pruned_key', 'key = ?'];
      st = {
        live: this.db.prepare(
          `SELECT * FROM ${liveFrom} WHERE sid = ? AND ${keyTest} AND type IN (${marks}) ORDER BY seq ${order} LIMIT 1`,
        ),
        gone: this.db.prepare(
          `SELECT seq, type, sender, cid FROM ${goneFrom} WHERE sid = ? AND ${keyTest} AND type IN (${marks}) ORDER BY seq ${order} LIMIT 1`,
        ),
      };
      this.findStatements.set(cacheKey, st);
    }
    const args = key === undefined ? [sid, ...types] : [sid, key, ...types];
    const row = st.live.get(...args) as EventRow | undefined;
    if (row) return toEvent(row);
    // A pruned event keeps its identity but not its data.
    const gone = st.gone.get(...args) as { seq: number; type: string; sender: string; cid: string | null } | undefined;
    if (!gone) return undefined;
    const e: StoredEvent = { v: 1, sid, seq: gone.seq, type: gone.type, time: '1970-01-01T00:00:00.000Z', sender: gone.sender, data: {} };
    if (gone.cid !== null) e.cid = gone.cid;
    return e;
  }

  async prune(sid: string, floor: number, snapshot: SessionState): Promise<void> {
    this.db.transaction(() => {
      this.stmt.keepPruned.run(sid, floor);
      this.stmt.prune.run(sid, floor);
      this.stmt.pruneText.run(sid, floor);
      this.stmt.setFloor.run(floor, JSON.stringify(snapshot), sid);
    })();
    await this.durable();
  }

  async snapshotAtFloor(sid: string) {
    const r = this.stmt.floor.get(sid);
    if (!r || r.floor_seq === 0 || !r.floor_state) return undefined;
    return { atSeq: r.floor_seq, state: JSON.parse(r.floor_state) as SessionState };
  }

  async sessionsOf(principal: string, status?: 'open' | 'closed', limit = 500) {
    return this.stmt.sessionsOf
      .all(principal, status ?? null, status ?? null, limit)
      .map((r) => ({ state: JSON.parse(r.state), role: r.role }));
  }

  async countSessionsCreatedBy(principal: string): Promise<number> {
    return this.stmt.countCreated.get(principal)?.n ?? 0;
  }

  async *allSessions(): AsyncIterable<SessionRow> {
    for (const r of this.stmt.allSessions.iterate()) {
      yield { state: JSON.parse(r.state), streams: JSON.parse(r.streams), floorSeq: r.floor_seq };
    }
  }

  async openDeadlines(): Promise<InputDeadline[]> {
    return this.stmt.deadlines.all().map((r) => ({ sid: r.sid, requestId: r.request_id, requestSeq: r.request_seq, deadline: r.deadline }));
  }

  async inboxList(agent: string, now: string, limit: number): Promise<InboxRecord[]> {
    return this.stmt.inboxList.all(agent, now, limit).map((r) => {
      const item: InboxRecord = {
        agent: r.agent,
        itemId: `it${r.item}`,
        sid: r.sid,
        seq: r.seq,
        kind: r.kind as InboxRecord['kind'],
        createdAt: r.created_at,
      };
      if (r.summary !== null) item.summary = r.summary;
      if (r.deferred_until !== null) item.deferredUntil = r.deferred_until;
      return item;
    });
  }

  async inboxPending(agent: string, now: string): Promise<number> {
    return this.stmt.inboxPending.get(agent, now)?.n ?? 0;
  }

  async inboxChange(change: InboxChange): Promise<{ affected: number; unknown: string[] }> {
    const state = change.action === 'ack' ? 'acked' : change.action === 'archive' ? 'archived' : 'deferred';
    const now = new Date().toISOString();
    const result = this.db.transaction(() => {
      const items = change.itemIds.map((id) => ({ id, item: /^it[0-9]+$/.test(id) ? Number(id.slice(2)) : NaN }));
      const unknown = items
        .filter(({ item }) => !Number.isSafeInteger(item) || !this.stmt.inboxHas.get(item, change.agent))
        .map(({ id }) => id);
      if (unknown.length) return { affected: 0, unknown };
      let affected = 0;
      for (const { item } of items) {
        affected += this.stmt.inboxChange.run({
          state,
          reason: change.reason ?? null,
          until: change.until ?? null,
          now,
          item,
          agent: change.agent,
        }).changes;
      }
      return { affected, unknown };
    })();
    await this.durable();
    return result;
  }

  async inboxAgents(): Promise<string[]> {
    return this.stmt.inboxAgents.all().map((r) => r.agent);
  }

  async results() {
    return this.stmt.results.all();
  }

  async putAgentState(agentId: string, payload: string, epoch: number): Promise<void> {
    this.stmt.putAgent.run(agentId, payload, epoch);
    await this.durable();
  }

  async agentStates() {
    return this.stmt.agents.all().map((r) => ({ agentId: r.agent_id, payload: r.payload }));
  }

  /** Indexes the message events of a database written before the search index existed, once. */
  private backfillSearch(): void {
    if (this.stmt.getMeta.get('search_text')) return;
    // In pages of (sid, seq), since better-sqlite3 cannot write while a statement iterates.
    const page = this.db.prepare<[string, number], { sid: string; seq: number; type: string; data: string }>(
      `SELECT sid, seq, type, data FROM events WHERE (sid, seq) > (?, ?) AND type IN ('message', 'message.completed') ORDER BY sid, seq LIMIT 1000`,
    );
    this.db.transaction(() => {
      let rows = page.all('', 0);
      while (rows.length) {
        for (const r of rows) {
          const text = searchableText(r.type, JSON.parse(r.data));
          if (text !== undefined) this.stmt.indexText.run(text, r.sid, r.seq);
        }
        const last = rows[rows.length - 1]!;
        rows = page.all(last.sid, last.seq);
      }
      this.stmt.setMeta.run('search_text', '1');
    })();
  }

  async search(q: SearchQuery): Promise<SearchRow[]> {
    // Each word is a quoted FTS5 string, so nothing from the network is read as query syntax [HOST-SEARCH-3].
    const match = q.words.map((w, i) => `"${w.replaceAll('"', '""')}"${i === q.words.length - 1 ? '*' : ''}`).join(' ');
    const b = q.before;
    return this.stmt.search
      .all({
        principal: q.principal,
        match,
        sid: q.sid ?? null,
        time: b?.time ?? null,
        bsid: b?.sid ?? null,
        seq: b?.seq ?? null,
        limit: q.limit,
      })
      .map((r) => {
        const hit: SearchRow = { sid: r.sid, seq: r.seq, type: r.type, sender: r.sender, time: r.time, snippet: r.snippet };
        if (typeof r.title === 'string' && r.title) hit.title = r.title;
        return hit;
      });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    if (this.walFd >= 0) {
      closeSync(this.walFd);
      this.walFd = -1;
    }
  }
}
