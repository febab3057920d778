/**
 * The session host: an ordinary MQTT client that owns the session logs. This class only wires the
 * parts; each folder is one step of what the host does:
 *
 *   link/       reach the broker (an MQTT connection with a Will, or the Aedes instance in this process)
 *   gate/       validate every command and request, refuse with an error reply
 *   sequencer/  decide what a command means in its session, assign the next seq [HOST-SEQ-1]
 *   commit/     group-commit accepted events to the store, apply retention
 *   publish/    publish events, snapshots, index entries, notifications, results, then the acks
 *   requests/   answer history, session list and inbox requests; keep agent states
 *   liveness/   epochs, birth, Will, rebirth, the announcement of every snapshot
 *   deadlines/  input-request deadlines and inbox doorbells
 *   store/      the durable store
 *
 * routes.ts says which handler takes which topic and type. The ack of a command goes out only after
 * its event is durably written [HOST-DURABLE-2].
 */
import type { IClientOptions } from 'mqtt';
import type { Logger } from 'pino';
import type { Aedes } from 'aedes';
import { filters, topics } from '../protocol/topics.ts';
import type { Limits } from '../schemas/src/index.ts';
import type { Batch } from './commit/batch.ts';
import { GroupCommit } from './commit/group-commit.ts';
import { Retention } from './commit/retention.ts';
import { Doorbell } from './deadlines/doorbell.ts';
import { InputDeadlines } from './deadlines/input-deadlines.ts';
import { EnvelopeGate } from './gate/envelope-gate.ts';
import { ErrorReplies } from './gate/error-replies.ts';
import { InputQueue } from './input-queue.ts';
import { Lifecycle } from './lifecycle.ts';
import { DEFAULT_LIMITS, maxMessageBytesOf } from './limits.ts';
import { InProcessLink } from './link/in-process-link.ts';
import type { BrokerLink } from './link/link.ts';
import { MqttLink } from './link/mqtt-link.ts';
import { announce } from './liveness/announcement.ts';
import { Liveness } from './liveness/liveness.ts';
import type { HostMetrics } from './metrics.ts';
import { CommitPublisher } from './publish/commit-publisher.ts';
import { Outbox } from './publish/outbox.ts';
import { TailCache } from './publish/tail-cache.ts';
import { KnownAgents } from './sequencer/known-agents.ts';
import { AgentStateIntake } from './requests/agent-state.ts';
import { Router } from './routes.ts';
import { LiveSessions } from './sequencer/live-sessions.ts';
import { roleOf } from './sequencer/rules/admission.ts';
import { Sequencer } from './sequencer/sequencer.ts';
import type { CommitBatch, Store } from './store/store.ts';

export { DEFAULT_LIMITS, HOST_FEATURES } from './limits.ts';

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

export class SessionHost {
  readonly hostId: string;
  readonly limits: Limits;
  private readonly log: Logger;
  private readonly lifecycle = new Lifecycle();
  private readonly link: BrokerLink;
  private readonly outbox: Outbox;
  private readonly liveness: Liveness;
  private readonly sessions: LiveSessions;
  private readonly input: InputQueue;
  private readonly sequencer: Sequencer;
  private readonly commits: GroupCommit;
  private readonly publisher: CommitPublisher;
  private readonly retention: Retention;
  private readonly deadlines: InputDeadlines;
  private readonly doorbell: Doorbell;
  /** Principals with an agent card [INBOX-ITEM-4]. */
  private readonly agents = new KnownAgents();
  /** Recent committed events as published JSON, for history pages without a store read. */
  private readonly tail: TailCache;

  constructor(private readonly opts: SessionHostOptions) {
    const { store, metrics } = opts;
    this.hostId = opts.hostId ?? 'main';
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const limits = this.limits;
    const log = (this.log = opts.logger.child({ component: 'host', hostId: this.hostId }));
    const lifecycle = this.lifecycle;
    const maxMessageBytes = maxMessageBytesOf(limits);

    // In the broker's process nothing can disconnect us, so there is no Will and no rebirth.
    this.link = opts.broker
      ? new InProcessLink(opts.broker)
      : new MqttLink({
          brokerUrl: opts.brokerUrl,
          clientId: `tether-host-${this.hostId}`,
          mqtt: opts.mqtt,
          willTopic: topics.hostState(this.hostId),
          will: () => this.liveness.stateJson('offline'),
          onConnect: () => this.liveness.connected(),
          onClose: () => this.liveness.disconnected(),
          onError: (err) => log.warn({ err: err.message }, 'mqtt error'),
        });
    const outbox = (this.outbox = new Outbox(this.link, 500, this.link.reordersRetained));
    const sessions = (this.sessions = new LiveSessions(store));
    const doorbell = (this.doorbell = new Doorbell(store, outbox, lifecycle, log));
    this.liveness = new Liveness({
      hostId: this.hostId,
      limits,
      embedded: Boolean(opts.broker),
      store,
      outbox,
      lifecycle,
      log,
      announce: () => this.announce(),
    });

    const tail = (this.tail = new TailCache({ maxBytes: opts.historyCacheBytes }));
    this.publisher = new CommitPublisher(outbox, tail, maxMessageBytes);
    this.retention = new Retention(store, sessions, limits.retentionEvents);
    this.commits = new GroupCommit({
      store,
      batchMax: opts.batchMax ?? 2000,
      log,
      metrics,
      outcome: { committed: (batch, commit) => this.committed(batch, commit), failed: (batch) => this.commitFailed(batch) },
    });
    this.sequencer = new Sequencer({ store, limits, maxMessageBytes, sessions, batch: this.commits, metrics, agents: this.agents });
    this.deadlines = new InputDeadlines({ store, sessions, sequencer: this.sequencer, flush: () => this.commits.flush(), lifecycle, log });

    const router = new Router({
      gate: new EnvelopeGate(limits),
      errors: new ErrorReplies(outbox, log, metrics),
      sequencer: this.sequencer,
      requests: { store, sessions, tail, limits, maxMessageBytes, outbox, doorbell },
      agentStates: new AgentStateIntake(store, log, this.agents),
    });
    this.input = new InputQueue({
      handle: (topic, payload) => router.route(topic, payload),
      commits: this.commits,
      lifecycle,
      log,
      metrics,
    });
  }

  get epoch(): number {
    return this.liveness.epoch;
  }

  async start(): Promise<void> {
    await this.liveness.begin();
    await this.agents.load(this.opts.store);
    const ownState = this.liveness.topic;
    const subscriptions = [filters.submit(), filters.requests(), filters.agentState(), ownState];
    await this.link.open(subscriptions, (topic, payload) => {
      if (topic === ownState) this.liveness.onOwnState(payload);
      else this.input.push(topic, payload);
    });
    if (this.opts.broker) this.log.info({ epoch: this.epoch }, 'attached to the broker in this process');
    await this.deadlines.resolveOverdue();
    this.lifecycle.becomeReady();
    // The birth says "ready to process commands" [HOST-LIVE-1].
    await this.announce();
  }

  /** Clean shutdown: finish what is queued, commit, publish offline, disconnect [HOST-LIVE-3]. */
  async stop(): Promise<void> {
    if (this.lifecycle.stopping) return;
    this.lifecycle.stopping = true;
    this.deadlines.clear();
    this.doorbell.clear();
    await this.input.drained();
    await this.commits.flush();
    if (this.link.connected) {
      await this.liveness.offline();
      await this.outbox.drained();
    }
    await this.link.close();
  }

  // Membership, for the broker's ACL.

  async isParticipant(sid: string, principal: string): Promise<boolean> {
    const session = await this.sessions.get(sid);
    return Boolean(session && roleOf(session.row.state, principal));
  }

  knownParticipant(sid: string, principal: string): boolean | undefined {
    const session = this.sessions.cached(sid);
    return session ? Boolean(roleOf(session.row.state, principal)) : undefined;
  }

  /** Publishes the birth and every retained snapshot from the store [HOST-SNAPSHOT-3]. */
  private announce(): Promise<void> {
    return announce({
      liveness: this.liveness,
      store: this.opts.store,
      sessions: this.sessions,
      outbox: this.outbox,
      doorbell: this.doorbell,
      log: this.log,
    });
  }

  /** A batch is durable: only now is it published and acknowledged [HOST-DURABLE-1][HOST-DURABLE-2]. */
  private async committed(batch: Batch, commit: CommitBatch): Promise<void> {
    this.sequencer.committed(batch);
    this.publisher.committed(batch, commit);
    this.deadlines.apply(commit);
    for (const agent of new Set(commit.inboxAdded.map((i) => i.agent))) await this.doorbell.ring(agent);
    await this.retention.apply(batch.touched.keys());
  }

  /** A batch failed to commit: nothing of it happened; its senders are told to retry [HOST-DURABLE-4]. */
  private commitFailed(batch: Batch): void {
    this.sequencer.failed(batch);
    this.publisher.failed(batch);
  }
}
