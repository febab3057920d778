/**
 * The session host: an ordinary MQTT client that owns the session logs. It validates and
 * authorises commands, assigns per-session seqs, group-commits them to the store, then publishes
 * the events and acknowledges the senders (ack = durably written) [HOST-DURABLE-2]. In the
 * embedded deployment it may instead attach to the Aedes instance in its process (link.ts).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Socket } from 'node:net';
import { coalesceWrites } from '../common/coalesce.ts';
import type { EventEnvelope, Limits, SessionState } from '../schemas/src/index.ts';
import { COMMAND_TYPES, EVENT_OF_COMMAND, HOST_SENDER, PROTOCOL_VERSION, REQUEST_TYPES, type CommandType, type RequestType } from '../protocol/constants.ts';
import { parseTopic, topics } from '../protocol/topics.ts';
import { check, dataValidator, describeErrors, knownFields, validator } from '../protocol/validate.ts';
import { eventKey, type CommitBatch, type SessionRow, type Store } from './store/store.ts';
import { ProtocolError, refuse } from './gate/errors.ts';
import { effectsOf, type Effects } from './sequencer/effects.ts';
import { historyPageJson } from './requests/history.ts';
import { TailCache } from './publish/tail-cache.ts';
import { IdFilter } from './sequencer/id-filter.ts';
import { Outbox } from './publish/outbox.ts';
import { CommandRate } from './gate/rate-limit.ts';
import { emptySession, reduce } from './sequencer/session-reducer.ts';
import { decide, decideCreate, roleOf, type Decision, type LogReader } from './sequencer/session-rules.ts';
import { InboxDesk } from './requests/inbox-desk.ts';
import type { HostMetrics } from './metrics.ts';
import { InProcessLink } from './link/in-process-link.ts';
import { Fifo } from '../common/fifo.ts';
import type { Aedes } from 'aedes';

type D = Record<string, any>;

export const DEFAULT_LIMITS: Limits = {
  maxPayloadBytes: 65536,
  maxIdLength: 64,
  commandsPerSecond: 500,
  maxHistoryPage: 1000,
  maxSessionsPerPrincipal: 1000,
  retentionEvents: 0,
  maxMessageBytes: 1048576,
};

// A byte order mark is not JSON: keep it so that parsing fails [ENV-JSON-2].
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Optional features of spec/v1/versioning.md this host implements. */
export const HOST_FEATURES = ['history.compact'];

export interface SessionHostOptions {
  /** The broker to connect to over MQTT; ignored when `broker` is given. */
  brokerUrl: string;
  /** An Aedes instance in this process to attach to directly (no socket, no Will: the host cannot outlive it). */
  broker?: Aedes;
  store: Store;
  hostId?: string;
  limits?: Partial<Limits>;
  logger: Logger;
  metrics?: HostMetrics;
  /** Extra mqtt.js options (credentials, TLS) for the host's own connection. */
  mqtt?: IClientOptions;
  /** Most commands committed in one transaction. */
  batchMax?: number;
  /** Bytes of recent events kept in memory for history pages (default 64 MiB; 0: every page reads the store). */
  historyCacheBytes?: number;
}

interface Entry {
  row: SessionRow;
  committed: number;
  /** The command ids of the session (a Bloom filter), loaded at its first command in this process. */
  ids?: IdFilter;
}

interface Job {
  topic: string;
  payload: Buffer;
}

interface Accepted {
  event: EventEnvelope;
  replyTo?: string;
  effects: Effects;
}

interface Batch {
  accepted: Accepted[];
  duplicates: { replyTo?: string; re: string; sid: string; seq: number }[];
  touched: Map<string, Entry>;
  rows?: SessionRow[];
}

const COMMAND_TYPE_SET = new Set<string>(COMMAND_TYPES);
const REQUEST_TYPE_SET = new Set<string>(REQUEST_TYPES);
/** `re` of a reply: the id when it is a string of at most 128 characters, else "" [ENV-RE-1]. */
function replyRe(id: unknown): string {
  return typeof id === 'string' && id.length <= 128 ? id : '';
}

function tryParse(payload: Buffer): D | undefined {
  try {
    const v = JSON.parse(payload.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export class SessionHost {
  readonly hostId: string;
  readonly limits: Limits;
  epoch = 0;
  private client?: MqttClient;
  private link?: InProcessLink;
  /** Recent committed events as published JSON, for history pages without a store read. */
  private readonly tail: TailCache;
  /** session.created events accepted but not committed yet, per creator [HOST-LIMIT-5]. */
  private readonly pendingCreates = new Map<string, number>();
  private outbox!: Outbox;
  private readonly store: Store;
  private readonly log: Logger;
  private readonly sessions = new Map<string, Entry>();
  private readonly pendingKeys = new Map<string, { seq: number; type: string }>();
  /** Accepted events not yet committed, per session, so decisions see them [HOST-SEQ-1]. */
  private readonly uncommitted = new Map<string, EventEnvelope[]>();
  private readonly log_: LogReader = {
    readEvents: async (sid, after, to, limit) => {
      const pending = (this.uncommitted.get(sid) ?? []).filter((e) => e.seq > after && e.seq <= to);
      const stored = pending.length && pending[0].seq === after + 1 ? [] : await this.store.readEvents(sid, after, to, limit);
      const lastStored = stored.length ? stored[stored.length - 1].seq : after;
      return [...stored, ...pending.filter((e) => e.seq > lastStored)].slice(0, limit);
    },
    findEvent: async (sid, types, key, which) => {
      const pending = (this.uncommitted.get(sid) ?? []).filter((e) => types.includes(e.type) && (eventKey(e.data) ?? undefined) === key);
      if (which === 'latest' && pending.length) return pending[pending.length - 1];
      const stored = await this.store.findEvent(sid, types, key, which);
      return stored ?? pending[0];
    },
  };
  private readonly queue = new Fifo<Job>();
  private pumping = false;
  private batch: Batch = { accepted: [], duplicates: [], touched: new Map() };
  private flushScheduled = false;
  /** The commit in progress (one at a time). */
  private committing?: Promise<void>;
  private readonly rate: CommandRate;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inbox: InboxDesk;
  private ready!: Promise<void>;
  private isReady = false;
  private stopping = false;

  constructor(private readonly opts: SessionHostOptions) {
    this.hostId = opts.hostId ?? 'main';
    this.tail = new TailCache({ maxBytes: opts.historyCacheBytes });
    this.store = opts.store;
    this.log = opts.logger.child({ component: 'host', hostId: this.hostId });
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.rate = new CommandRate(this.limits.commandsPerSecond);
    this.inbox = new InboxDesk(this.store);
  }

  private get maxMessageBytes(): number {
    return this.limits.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes!;
  }

  private hostState(status: 'online' | 'offline') {
    return JSON.stringify({
      v: 1,
      hostId: this.hostId,
      status,
      epoch: this.epoch,
      protocol: PROTOCOL_VERSION,
      software: 'tether-reference/0.1.0',
      features: HOST_FEATURES,
      limits: this.limits,
      ...(this.opts.broker ? { embedded: true } : {}),
      time: new Date().toISOString(),
    });
  }

  async start(): Promise<void> {
    this.epoch = await this.store.nextEpoch(this.hostId);
    let markReady!: () => void;
    this.ready = new Promise((r) => (markReady = r));
    const stateTopic = topics.hostState(this.hostId);
    const filters = ['tether/v1/sessions/+/submit/+', 'tether/v1/requests/+', 'tether/v1/agents/+/state', stateTopic];
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic === stateTopic) this.onOwnState(payload);
      else this.enqueue({ topic, payload });
    };
    if (this.opts.broker) {
      // In the broker's process: nothing can disconnect us, so there is no Will and no rebirth.
      const link = new InProcessLink(this.opts.broker);
      this.link = link;
      this.outbox = new Outbox(link, 500, true);
      await link.subscribe(filters, onMessage);
      this.log.info({ epoch: this.epoch }, 'attached to the broker in this process');
    } else {
      await this.connectMqtt(stateTopic, filters, onMessage);
    }
    await this.resolveOverdueDeadlines();
    this.isReady = true;
    markReady();
    // The birth says "ready to process commands" [HOST-LIVE-1].
    await this.announce();
  }

  private async connectMqtt(stateTopic: string, filters: string[], onMessage: (topic: string, payload: Buffer) => void): Promise<void> {
    const options: IClientOptions = {
      clientId: `tether-host-${this.hostId}`,
      clean: false,
      reconnectPeriod: 500,
      keepalive: 30,
      ...this.opts.mqtt,
      will: { topic: stateTopic, payload: Buffer.from(this.hostState('offline')), qos: 1, retain: true },
    };
    const client = mqtt.connect(this.opts.brokerUrl, options);
    this.client = client;
    this.outbox = new Outbox(client);
    // Handlers before CONNECT: a broker may deliver queued commands together with the CONNACK.
    client.on('message', onMessage);
    client.on('connect', () => {
      const stream = client.stream as Socket;
      if (typeof stream.setNoDelay === 'function') {
        stream.setNoDelay(true);
        coalesceWrites(stream);
      }
      this.log.info({ epoch: this.epoch }, 'connected to broker');
      // On a reconnect: birth and snapshots again, since a restarted broker may have lost them.
      if (this.isReady) void this.announce().catch((err) => this.log.error({ err }, 'republish failed'));
    });
    client.on('close', () => {
      if (this.stopping) return;
      // Every connection gets a new epoch, so a Will of an older connection is recognisably stale [LIVE-EPOCH-1].
      void this.store.nextEpoch(this.hostId).then((epoch) => {
        this.epoch = epoch;
        client.options.will = { topic: stateTopic, payload: Buffer.from(this.hostState('offline')), qos: 1, retain: true };
      });
    });
    client.on('error', (err) => this.log.warn({ err: err.message }, 'mqtt error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      client.once('connect', () => {
        client.off('error', onError);
        resolve();
      });
      client.once('error', onError);
    });
    await client.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])));
  }

  /** A state on our own topic with a lower epoch (a stale Will, an old birth) is answered with a new birth [LIVE-REBIRTH-1]. */
  private onOwnState(payload: Buffer): void {
    const state = tryParse(payload);
    if (!this.isReady || this.stopping || !state || typeof state.epoch !== 'number' || state.epoch >= this.epoch) return;
    void this.outbox.publish(topics.hostState(this.hostId), this.hostState('online'), true).catch(() => {});
  }

  /** Publishes the birth and every retained snapshot from the store [HOST-SNAPSHOT-3]. */
  private async announce(): Promise<void> {
    await this.outbox.publish(topics.hostState(this.hostId), this.hostState('online'), true);
    let n = 0;
    for await (const row of this.store.allSessions()) {
      const cached = this.sessions.get(row.state.sid);
      const state = cached?.row.state ?? row.state;
      void this.outbox.publish(topics.sessionState(state.sid), JSON.stringify(state), true);
      for (const p of state.participants) void this.outbox.publish(topics.sessionIndex(p.principal, state.sid), this.indexEntry(state, p.principal), true);
      n++;
    }
    for (const r of await this.store.results()) void this.outbox.publish(topics.result(r.sid), r.payload, true);
    for (const a of await this.store.agentStates()) void this.outbox.publish(topics.agentState(a.agentId), a.payload, true);
    for (const agent of await this.store.inboxAgents()) void this.publishDoorbell(agent);
    await this.outbox.drained();
    this.log.info({ sessions: n }, 'retained snapshots republished');
  }

  private indexEntry(state: SessionState, principal: string): string {
    const role = roleOf(state, principal);
    if (!role) return '';
    const entry: D = { v: 1, sid: state.sid, role, status: state.status, createdBy: state.createdBy, createdAt: state.createdAt, updatedAt: state.updatedAt };
    if (state.title !== undefined) entry.title = state.title;
    return JSON.stringify(entry);
  }

  private async publishDoorbell(agent: string): Promise<void> {
    const pending = await this.store.inboxPending(agent, new Date().toISOString());
    await this.outbox.publish(topics.inbox(agent), JSON.stringify({ v: 1, agentId: agent, pending, time: new Date().toISOString() }), true);
  }

  /** Clean shutdown: finish what is queued, commit, publish offline, disconnect [HOST-LIVE-3]. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    while (this.pumping || this.queue.length) await new Promise((r) => setImmediate(r));
    await this.flush();
    if (this.client?.connected || this.link?.connected) {
      await this.outbox.publish(topics.hostState(this.hostId), this.hostState('offline'), true).catch(() => {});
      await this.outbox.drained();
    }
    await this.client?.endAsync();
    await this.link?.end();
  }

  // ---------------------------------------------------------------- membership (broker ACL)

  async isParticipant(sid: string, principal: string): Promise<boolean> {
    const entry = await this.entry(sid);
    return Boolean(entry && roleOf(entry.row.state, principal));
  }

  knownParticipant(sid: string, principal: string): boolean | undefined {
    const entry = this.sessions.get(sid);
    return entry ? Boolean(roleOf(entry.row.state, principal)) : undefined;
  }

  // ---------------------------------------------------------------- input queue

  private enqueue(job: Job): void {
    if (this.stopping) return;
    this.queue.push(job);
    this.opts.metrics?.received.inc();
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    await this.ready;
    try {
      while (this.queue.length) {
        const job = this.queue.shift()!;
        try {
          await this.handle(job);
        } catch (err) {
          // Never crash on input [HOST-REPLY-3]; an unexpected failure is an INTERNAL error.
          this.log.error({ err, topic: job.topic }, 'unexpected failure handling message');
        }
        if (this.batch.accepted.length >= (this.opts.batchMax ?? 2000)) await this.flush();
      }
    } finally {
      this.pumping = false;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || (this.batch.accepted.length === 0 && this.batch.duplicates.length === 0)) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async handle(job: Job): Promise<void> {
    const t = parseTopic(job.topic);
    if (t?.kind === 'agentState') return this.onAgentState(t.agentId, job.payload);
    if (t?.kind !== 'submit' && t?.kind !== 'requests') {
      this.reject(undefined, undefined, new ProtocolError('BAD_TOPIC', 'TOPIC-PARSE-1', `not a submit or request topic: ${job.topic}`));
      return;
    }
    const principal = t.principal;
    let msg: D | undefined;
    try {
      if (job.payload.length > this.limits.maxPayloadBytes) {
        // Still find the replyTo of a moderately oversized command so the sender learns why.
        if (job.payload.length <= 16 * this.limits.maxPayloadBytes) msg = tryParse(job.payload);
        refuse('PAYLOAD_TOO_LARGE', 'HOST-LIMIT-1', `payload of ${job.payload.length} bytes exceeds ${this.limits.maxPayloadBytes}`);
      }
      try {
        // Invalid UTF-8 is refused, not repaired [ENV-JSON-2].
        msg = JSON.parse(utf8.decode(job.payload));
      } catch {
        refuse('BAD_JSON', 'ENV-JSON-2', 'payload is not valid UTF-8 JSON');
      }
      const envName = t.kind === 'submit' ? 'CommandEnvelope' : 'RequestEnvelope';
      if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) refuse('SCHEMA_INVALID', 'ENV-SCHEMA-1', 'payload must be a JSON object');
      if (msg.v !== 1 && msg.v !== undefined && Number.isInteger(msg.v)) refuse('VERSION_UNSUPPORTED', 'ENV-VERSION-2', `protocol version ${msg.v} is not supported; this host speaks 1`);
      const env = check<D>(envName, msg);
      if (!env.ok) refuse('SCHEMA_INVALID', 'ENV-SCHEMA-1', `${envName}: ${env.message}`);
      if (msg.replyTo !== undefined && parseTopic(msg.replyTo)?.kind === 'replies' && !msg.replyTo.startsWith(`tether/v1/replies/${principal}/`)) {
        const bad = msg.replyTo;
        msg.replyTo = undefined;
        refuse('REPLY_TO_INVALID', 'ENV-REPLY-2', `replyTo ${bad} is not a reply topic of ${principal}`);
      }
      const known = t.kind === 'submit' ? COMMAND_TYPE_SET : REQUEST_TYPE_SET;
      if (!known.has(msg.type)) refuse('UNKNOWN_TYPE', 'ENV-TYPE-1', `unknown ${t.kind === 'submit' ? 'command' : 'request'} type ${msg.type}`);
      const fn = dataValidator(t.kind === 'submit' ? 'Command' : 'Request', msg.type)!;
      if (!fn(msg.data)) refuse('SCHEMA_INVALID', 'ENV-SCHEMA-1', `${msg.type} data: ${describeErrors(fn.errors)}`);
      msg.data = knownFields(t.kind === 'submit' ? 'Command' : 'Request', msg.type, msg.data);
      if (!this.rate.take(principal)) {
        refuse('RATE_LIMITED', 'HOST-LIMIT-3', `more than ${this.limits.commandsPerSecond} commands per second`, { retryAfterMs: this.rate.retryAfterMs(principal) });
      }
      if (t.kind === 'submit') await this.onCommand(t.sid, principal, msg);
      else await this.onRequest(principal, msg);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.reject(msg, t.kind === 'submit' ? t.sid : undefined, err, principal);
    }
  }

  private reject(msg: D | undefined, sid: string | undefined, err: ProtocolError, principal?: string): void {
    this.opts.metrics?.rejected.inc({ code: err.code });
    const replyTo = typeof msg?.replyTo === 'string' && principal && msg.replyTo.startsWith(`tether/v1/replies/${principal}/`) ? msg.replyTo : undefined;
    this.log.debug({ code: err.code, rule: err.rule, principal, sid, msg: err.message }, 'rejected');
    if (!replyTo || parseTopic(replyTo)?.kind !== 'replies') return;
    const data: D = { code: err.code, rule: err.rule, message: err.message };
    if (sid) data.sid = sid;
    if (err.details !== undefined) data.details = err.details;
    void this.outbox.publish(replyTo, JSON.stringify({ v: 1, type: 'error', re: replyRe(msg?.id), data }));
  }

  // ---------------------------------------------------------------- commands

  private async entry(sid: string): Promise<Entry | undefined> {
    let e = this.sessions.get(sid);
    if (!e) {
      const row = await this.store.getSession(sid);
      if (!row) return undefined;
      e = this.sessions.get(sid) ?? { row, committed: row.state.headSeq };
      this.sessions.set(sid, e);
    }
    return e;
  }

  private async onCommand(sid: string, sender: string, cmd: D): Promise<void> {
    const key = `${sid}\u0000${sender}\u0000${cmd.id}`;
    let entry = await this.entry(sid);
    // Idempotency: a command id seen before returns the original result, never a second event [HOST-IDEM-1].
    const seen = this.pendingKeys.get(key) ?? (await this.seenBefore(entry, sid, sender, cmd.id));
    if (seen) {
      if (seen.type !== EVENT_OF_COMMAND[cmd.type as CommandType]) refuse('ID_REUSED', 'HOST-IDEM-2', `command id ${cmd.id} was already used for another command type`);
      this.opts.metrics?.duplicates.inc();
      this.batch.duplicates.push({ replyTo: cmd.replyTo, re: cmd.id, sid, seq: seen.seq });
      this.scheduleFlush();
      return;
    }
    const now = new Date();
    let decision: Decision;
    if (!entry) {
      if (cmd.type !== 'session.create') refuse('SESSION_NOT_FOUND', 'HOST-CREATE-1', `no session ${sid}`);
      const created = await this.store.countSessionsCreatedBy(sender);
      // Accepted but not yet committed (in this batch or in one being committed): not in the store yet.
      const pending = this.pendingCreates.get(sender) ?? 0;
      if (created + pending >= this.limits.maxSessionsPerPrincipal) {
        refuse('LIMIT_EXCEEDED', 'HOST-LIMIT-5', `${sender} already has ${created + pending} open sessions it created (max ${this.limits.maxSessionsPerPrincipal})`, {
          limit: 'maxSessionsPerPrincipal',
          max: this.limits.maxSessionsPerPrincipal,
        });
      }
      entry = { row: emptySession(sid, sender, now.toISOString()), committed: 0, ids: new IdFilter() };
      decision = decideCreate(sender, cmd.data);
    } else {
      decision = await decide(entry.row, sender, cmd.type, cmd.data, this.log_, now, this.maxMessageBytes);
    }
    this.append(entry, sid, sender, decision, now, cmd.id, cmd.replyTo);
    this.pendingKeys.set(key, { seq: entry.row.state.headSeq, type: decision.type });
    entry.ids?.add(`${sender}\u0000${cmd.id}`);
    if (decision.type === 'session.created') this.pendingCreates.set(sender, (this.pendingCreates.get(sender) ?? 0) + 1);
  }

  /** The original result of a command id this session saw before; the store is asked only when the filter cannot rule it out. */
  private async seenBefore(entry: Entry | undefined, sid: string, sender: string, cid: string): Promise<{ seq: number; type: string } | undefined> {
    if (!entry) return this.store.findCommand(sid, sender, cid);
    if (!entry.ids) {
      const keys = await this.store.commandKeys(sid);
      const ids = new IdFilter(Math.max(100, keys.length * 2));
      for (const k of keys) ids.add(k);
      // Accepted but not committed yet: not in the store, but seen.
      const prefix = `${sid}\u0000`;
      for (const k of this.pendingKeys.keys()) if (k.startsWith(prefix)) ids.add(k.slice(prefix.length));
      entry.ids = ids;
    }
    if (!entry.ids.mayHave(`${sender}\u0000${cid}`)) return undefined;
    return this.store.findCommand(sid, sender, cid);
  }

  /** Assigns the next seq and applies the event in memory; durable at the next flush [HOST-SEQ-1][HOST-SEQ-2]. */
  private append(entry: Entry, sid: string, sender: string, decision: Decision, now: Date, cid?: string, replyTo?: string): void {
    const before = entry.row.state.headSeq === 0 ? undefined : entry.row.state;
    const event: EventEnvelope = { v: 1, sid, seq: entry.row.state.headSeq + 1, type: decision.type, time: now.toISOString(), sender, data: decision.data };
    if (cid !== undefined) event.cid = cid;
    entry.row = reduce(entry.row, event);
    this.sessions.set(sid, entry);
    let pending = this.uncommitted.get(sid);
    if (!pending) this.uncommitted.set(sid, (pending = []));
    pending.push(event);
    const effects = effectsOf(event, before, entry.row.state);
    this.batch.accepted.push({ event, replyTo, effects });
    this.batch.touched.set(sid, entry);
    this.scheduleFlush();
  }

  /** Group commit: one transaction for everything accepted since the last flush, then publish. */
  private flush(): Promise<void> {
    // One commit at a time: what arrives meanwhile waits and goes into the next, larger batch. With
    // a store whose commit is truly asynchronous (another thread, a network database), sealing a
    // batch every turn queued many tiny commits, each paying a whole fsync.
    if (this.committing) return this.committing.then(() => this.flush(), () => this.flush());
    const batch = this.batch;
    if (batch.accepted.length === 0 && batch.duplicates.length === 0) return Promise.resolve();
    this.batch = { accepted: [], duplicates: [], touched: new Map() };
    // Sealed synchronously: the live rows are exactly as of this batch's last events.
    batch.rows = [...batch.touched.values()].map((e) => e.row);
    const committing = this.commitAndPublish(batch).finally(() => {
      if (this.committing === committing) this.committing = undefined;
    });
    this.committing = committing;
    return committing;
  }

  private async commitAndPublish(batch: Batch): Promise<void> {
    const commit: CommitBatch = { events: [], sessions: [], participants: [], deadlinesAdded: [], deadlinesRemoved: [], inboxAdded: [], results: [] };
    for (const a of batch.accepted) {
      commit.events.push(a.event);
      commit.participants.push(...a.effects.participants);
      commit.deadlinesAdded.push(...a.effects.deadlinesAdded);
      commit.deadlinesRemoved.push(...a.effects.deadlinesRemoved);
      commit.inboxAdded.push(...a.effects.inbox);
      if (a.effects.result) commit.results.push(a.effects.result);
    }
    commit.sessions.push(...(batch.rows ?? []));
    const heads = new Map<string, number>();
    for (const a of batch.accepted) heads.set(a.event.sid, a.event.seq);
    const started = performance.now();
    try {
      if (commit.events.length) await this.store.commit(commit);
    } catch (err) {
      this.settleCreates(batch);
      this.log.error({ err }, 'store commit failed; commands are not acknowledged and will be retried by clients');
      for (const sid of batch.touched.keys()) {
        this.sessions.delete(sid);
        this.uncommitted.delete(sid);
      }
      for (const a of batch.accepted) {
        this.pendingKeys.delete(`${a.event.sid}\u0000${a.event.sender}\u0000${a.event.cid}`);
        if (a.replyTo) void this.outbox.publish(a.replyTo, JSON.stringify({ v: 1, type: 'error', re: a.event.cid ?? '', data: { code: 'INTERNAL', rule: 'HOST-DURABLE-4', message: 'store write failed; retry', sid: a.event.sid } }));
      }
      return;
    }
    this.settleCreates(batch);
    this.opts.metrics?.commitSeconds.observe((performance.now() - started) / 1000);
    this.opts.metrics?.accepted.inc(batch.accepted.length);
    for (const a of batch.accepted) this.pendingKeys.delete(`${a.event.sid}\u0000${a.event.sender}\u0000${a.event.cid}`);
    for (const [sid, seq] of heads) {
      const entry = this.sessions.get(sid);
      if (entry) entry.committed = Math.max(entry.committed, seq);
      const pending = this.uncommitted.get(sid);
      if (pending) {
        const rest = pending.filter((e) => e.seq > seq);
        if (rest.length) this.uncommitted.set(sid, rest);
        else this.uncommitted.delete(sid);
      }
    }
    this.publishBatch(batch, commit);
    await this.afterCommit(batch, commit);
  }

  /** The batch's session.created events are in the store now (or failed): no longer pending. */
  private settleCreates(batch: Batch): void {
    for (const a of batch.accepted) {
      if (a.event.type !== 'session.created') continue;
      const n = (this.pendingCreates.get(a.event.sender) ?? 1) - 1;
      if (n > 0) this.pendingCreates.set(a.event.sender, n);
      else this.pendingCreates.delete(a.event.sender);
    }
  }

  private publishBatch(batch: Batch, commit: CommitBatch): void {
    // Events: per session, in seq order, several consecutive events per message [HOST-PUBLISH-1].
    const bySession = new Map<string, EventEnvelope[]>();
    for (const a of batch.accepted) {
      let list = bySession.get(a.event.sid);
      if (!list) bySession.set(a.event.sid, (list = []));
      list.push(a.event);
    }
    // Batches stay under maxMessageBytes [HOST-LIMIT-7] (and small enough not to delay other sessions).
    const maxBytes = Math.min(this.maxMessageBytes - 256, 256 * 1024);
    for (const [sid, events] of bySession) {
      let group: string[] = [];
      let bytes = 0;
      const send = () => {
        if (group.length) void this.outbox.publish(topics.events(sid), `{"v":1,"sid":${JSON.stringify(sid)},"events":[${group.join(',')}]}`);
        group = [];
        bytes = 0;
      };
      for (const e of events) {
        const text = JSON.stringify(e);
        this.tail.append(sid, e.seq, text);
        const size = Buffer.byteLength(text) + 1;
        if (group.length && (group.length >= 1000 || bytes + size > maxBytes)) send();
        group.push(text);
        bytes += size;
      }
      send();
    }
    // Retained snapshots after the events they summarise.
    const stateSids = new Set(batch.accepted.filter((a) => a.effects.stateChanged).map((a) => a.event.sid));
    for (const row of commit.sessions) if (stateSids.has(row.state.sid)) void this.outbox.publish(topics.sessionState(row.state.sid), JSON.stringify(row.state), true);
    const states = new Map(commit.sessions.map((r) => [r.state.sid, r.state]));
    for (const a of batch.accepted) {
      const state = states.get(a.event.sid)!;
      for (const ix of a.effects.index) {
        void this.outbox.publish(topics.sessionIndex(ix.principal, a.event.sid), ix.removed ? '' : this.indexEntry(state, ix.principal), true);
      }
      for (const n of a.effects.notify) void this.outbox.publish(topics.notify(n.principal), n.payload);
      if (a.effects.result) void this.outbox.publish(topics.result(a.event.sid), a.effects.result.payload, true);
      // The ack comes last: the event is durable and on its way [HOST-DURABLE-2][HOST-PUBLISH-2].
      if (a.replyTo) void this.outbox.publish(a.replyTo, JSON.stringify({ v: 1, type: 'ack', re: a.event.cid, data: { sid: a.event.sid, seq: a.event.seq, duplicate: false } }));
    }
    for (const d of batch.duplicates) {
      if (d.replyTo) void this.outbox.publish(d.replyTo, JSON.stringify({ v: 1, type: 'ack', re: d.re, data: { sid: d.sid, seq: d.seq, duplicate: true } }));
    }
  }

  private async afterCommit(batch: Batch, commit: CommitBatch): Promise<void> {
    for (const d of commit.deadlinesAdded) this.arm(d.sid, d.requestId, d.deadline);
    for (const d of commit.deadlinesRemoved) {
      const k = `${d.sid}\u0000${d.requestId}`;
      clearTimeout(this.timers.get(k));
      this.timers.delete(k);
    }
    const agents = new Set(commit.inboxAdded.map((i) => i.agent));
    for (const agent of agents) await this.publishDoorbell(agent);
    if (this.limits.retentionEvents > 0) {
      for (const sid of batch.touched.keys()) await this.applyRetention(sid);
    }
  }

  /** Prunes events older than the retention window, keeping the snapshot at the new floor [HOST-RETAIN-1]. */
  private async applyRetention(sid: string): Promise<void> {
    const entry = this.sessions.get(sid);
    if (!entry) return;
    const keep = this.limits.retentionEvents;
    // Never past an open stream's start or an open input request [HOST-RETAIN-3][HOST-RETAIN-4].
    const openFloor = Math.min(
      ...entry.row.state.openMessages.map((m) => m.startedSeq - 1),
      ...entry.row.state.openInputs.map((i) => i.seq - 1),
      entry.committed,
    );
    const target = Math.min(entry.committed - keep, openFloor);
    // Prune in steps of at least 10% of the window so the cost is amortised.
    if (target - entry.row.floorSeq < Math.max(1, Math.floor(keep / 10))) return;
    const snap = await this.store.snapshotAtFloor(sid);
    let row: SessionRow = snap
      ? { state: snap.state, streams: {}, floorSeq: snap.atSeq }
      : emptySession(sid, entry.row.state.createdBy, entry.row.state.createdAt);
    for (const e of await this.store.readEvents(sid, row.state.headSeq, target, Number.MAX_SAFE_INTEGER)) row = reduce(row, e);
    await this.store.prune(sid, target, row.state);
    entry.row = { ...entry.row, floorSeq: target };
  }

  // ---------------------------------------------------------------- input deadlines

  /**
   * Overdue requests are resolved in deadline order before any command is accepted; the others are
   * re-armed. Deadlines live in the store, so they survive restarts [HOST-INPUT-8].
   */
  private async resolveOverdueDeadlines(): Promise<void> {
    const deadlines = (await this.store.openDeadlines()).sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
    const now = Date.now();
    for (const d of deadlines) {
      if (Date.parse(d.deadline) <= now) await this.resolveDeadline(d.sid, d.requestId);
      else this.arm(d.sid, d.requestId, d.deadline);
    }
    await this.flush();
  }

  /** Deadlines survive restarts: they are in the store and re-armed at start [HOST-INPUT-8]. */
  private arm(sid: string, requestId: string, deadline: string): void {
    const k = `${sid}\u0000${requestId}`;
    clearTimeout(this.timers.get(k));
    const delay = Math.max(0, Date.parse(deadline) - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(k);
      void this.onDeadline(sid, requestId).catch((err) => this.log.error({ err }, 'deadline failed'));
    }, Math.min(delay, 2 ** 31 - 1));
    timer.unref?.();
    this.timers.set(k, timer);
  }

  private async onDeadline(sid: string, requestId: string): Promise<void> {
    if (this.stopping) return;
    await this.ready;
    await this.resolveDeadline(sid, requestId);
  }

  private async resolveDeadline(sid: string, requestId: string): Promise<void> {
    const entry = await this.entry(sid);
    const open = entry?.row.state.openInputs.find((i) => i.requestId === requestId);
    // A closed session has no open inputs: nothing is appended to it [HOST-CLOSE-3].
    if (!entry || !open) return;
    if (open.deadline && Date.parse(open.deadline) > Date.now()) return this.arm(sid, requestId, open.deadline);
    const [req] = await this.log_.readEvents(sid, open.seq - 1, open.seq, 1);
    const policy = ((req?.data as D | undefined)?.onTimeout ?? { policy: 'wait' }) as D;
    if (policy.policy === 'wait') return;
    const data: D =
      policy.policy === 'default'
        ? { requestId, outcome: 'default', value: policy.value, decidedBy: 'timeout', by: HOST_SENDER, requestSeq: open.seq }
        : { requestId, outcome: 'failed', decidedBy: 'timeout', by: HOST_SENDER, requestSeq: open.seq };
    this.append(entry, sid, HOST_SENDER, { type: 'input.resolved', data }, new Date());
  }

  // ---------------------------------------------------------------- requests

  private async onRequest(principal: string, req: D): Promise<void> {
    const reply = (type: string, data: unknown) => this.outbox.publish(req.replyTo, JSON.stringify({ v: 1, type, re: replyRe(req.id), data }));
    const d = req.data as D;
    switch (req.type as RequestType) {
      case 'history.get': {
        const entry = await this.entry(d.sid);
        if (!entry) refuse('SESSION_NOT_FOUND', 'HOST-HISTORY-1', `no session ${d.sid}`);
        if (!roleOf(entry.row.state, principal)) refuse('NOT_PARTICIPANT', 'HOST-AUTHZ-2', `${principal} is not a participant of ${d.sid}`);
        const page = await historyPageJson(this.store, entry.committed, entry.row.floorSeq, d as never, this.limits.maxHistoryPage, this.maxMessageBytes, this.tail);
        void this.outbox.publish(req.replyTo, `{"v":1,"type":"history.page","re":${JSON.stringify(replyRe(req.id))},"data":${page}}`);
        return;
      }
      case 'sessions.list': {
        const rows = await this.store.sessionsOf(principal, d.status, d.limit ?? 100);
        void reply('sessions.page', { sessions: rows.map((r) => JSON.parse(this.indexEntry(r.state, principal) || 'null')).filter(Boolean) });
        return;
      }
      default: {
        const result = await this.inbox.handle(principal, req.type, d);
        void reply(result.type, result.data);
        if (result.changed) await this.publishDoorbell(d.agentId);
        // A deferred item that comes due rings the doorbell again [HOST-INBOX-3].
        if (req.type === 'inbox.defer' && result.changed) this.ringAt(d.agentId, d.until);
      }
    }
  }

  private ringAt(agent: string, until: string): void {
    const k = `doorbell\u0000${agent}\u0000${until}`;
    if (this.timers.has(k)) return;
    const timer = setTimeout(() => {
      this.timers.delete(k);
      if (!this.stopping) void this.publishDoorbell(agent).catch((err) => this.log.warn({ err }, 'doorbell failed'));
    }, Math.min(Math.max(0, Date.parse(until) - Date.now() + 5), 2 ** 31 - 1));
    timer.unref?.();
    this.timers.set(k, timer);
  }

  // ---------------------------------------------------------------- agent cards

  private async onAgentState(agentId: string, payload: Buffer): Promise<void> {
    if (payload.length === 0) return;
    let state: D;
    try {
      state = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (!validator('AgentState')(state) || state.agentId !== agentId) {
      this.log.debug({ agentId }, 'ignored invalid agent state');
      return;
    }
    await this.store.putAgentState(agentId, payload.toString('utf8'), state.epoch);
  }
}
