/**
 * The reference agent: a daemon that lives on Tether for days. It is never tied to one request:
 * it wakes on its inbox doorbell, pulls its work, runs each session in a Conversation of its own
 * (a slow model call in one delays no other; a limiter bounds the calls in flight), starts
 * sessions itself on a schedule, checks its model endpoint before work, and after a crash finds
 * the runs it left open.
 */
import { Cron } from 'croner';
import type { InboxItem } from '../../schemas/src/index.ts';
import { TetherClient, type AgentCard, type Inbox } from '../lib/index.ts';
import { Conversation, type ConversationDeps, type DoubleTexting } from './conversation.ts';
import { CallLimiter, EndpointHealth } from './health.ts';
import type { ChatModel } from './model/chat-model.ts';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  url: string;
  agentId: string;
  password?: string;
  model: ChatModel;
  systemPrompt?: string;
  /** Token budget of each model call's context (default 6000). */
  budgetTokens?: number;
  doubleTexting?: DoubleTexting;
  /** Model calls in flight across all sessions (default 16). */
  maxModelCalls?: number;
  maxSteps?: number;
  /** How long past its deadline the agent waits on a `wait` question (default 10 s). */
  askGraceMs?: number;
  /** Backoff of the endpoint probe while degraded. */
  probeBackoffMs?: { min: number; max: number };
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface TaskOptions {
  task: string;
  title?: string;
  /** People to add as members; they learn of the session through their index and notify topics. */
  participants?: string[];
}

const DEFAULT_PROMPT =
  'You are the Tether reference agent. You work in sessions with people. Be brief. ' +
  'Ask a person (ask_human) before anything risky, and archive what you are told is irrelevant. ' +
  'Each user turn starts with [#seq sender].';

export function agentCard(model: ChatModel): AgentCard {
  return {
    name: model.demo ? 'Tether reference agent (demo model)' : 'Tether reference agent',
    description: model.demo
      ? 'The reference agent running the built-in offline demo model: deterministic canned answers, no real language model.'
      : `The reference agent on ${model.label}.`,
    version: AGENT_VERSION,
    skills: [
      {
        id: 'chat',
        name: 'Conversation',
        description: `Answers in sessions, streaming tokens (model: ${model.label}).`.slice(0, 1000),
        tags: ['chat'],
      },
      {
        id: 'ask-human',
        name: 'Asks before risky actions',
        description: 'Input requests with deadlines and declared defaults.',
        tags: ['hitl'],
      },
      {
        id: 'tasks',
        name: 'Scheduled tasks',
        description: 'Starts sessions itself on a schedule and posts a compact result.',
        tags: ['cron'],
      },
    ],
    capabilities: { streaming: true, inputRequests: true, steering: true, cancel: true },
  };
}

export class ReferenceAgent {
  readonly client: TetherClient;
  private inbox!: Inbox;
  readonly health: EndpointHealth;
  private readonly limiter: CallLimiter;
  private readonly conversations = new Map<string, Conversation>();
  private readonly crons: Cron[] = [];
  private pulling = false;
  private pullAgain = false;
  private runs = 0;
  private stopped = false;

  constructor(private readonly opts: AgentOptions) {
    this.client = new TetherClient({
      url: opts.url,
      principal: opts.agentId,
      password: opts.password,
      device: 'main',
      agent: agentCard(opts.model),
      persistent: true,
    });
    this.limiter = new CallLimiter(opts.maxModelCalls ?? 16);
    this.health = new EndpointHealth(opts.model, {
      minBackoffMs: opts.probeBackoffMs?.min,
      maxBackoffMs: opts.probeBackoffMs?.max,
      onChange: (healthy, reason) => {
        this.log(healthy ? 'info' : 'warn', healthy ? 'model endpoint answers' : 'model endpoint does not answer', { reason });
        void this.publishStatus();
      },
    });
  }

  get conversationCount(): number {
    return this.conversations.size;
  }

  async start(): Promise<void> {
    await this.client.start();
    this.inbox = await this.client.watchInbox();
    this.inbox.on('doorbell', (bell) => {
      if (bell.pending > 0) void this.pull();
    });
    // Pre-flight in the background: the status says degraded until the endpoint answers.
    void this.health.ready().catch(() => {});
    // Runs an earlier process left open are ended (each Conversation recovers on open) [AGENT-RECOVER-1].
    const open = await this.client.listSessions({ status: 'open', limit: 500 });
    await Promise.all(
      open.map((s) =>
        this.conversation(s.sid)
          .open()
          .catch((err) => this.log('warn', 'could not open session', { sid: s.sid, err: String(err) })),
      ),
    );
    await this.pull();
    this.log('info', 'agent started', { agentId: this.opts.agentId, model: this.opts.model.label, sessions: open.length });
  }

  /** A one-shot task: a new session with people, a run on it, a compact result for their devices. */
  async runTask(t: TaskOptions): Promise<{ sid: string; runId: string; status: string }> {
    const participants = (t.participants ?? []).map((p) => ({ principal: p, role: 'member' as const }));
    const sid = await this.client.createSession({
      title: (t.title ?? t.task).slice(0, 200),
      participants,
      metadata: { startedBy: 'agent', task: t.task.slice(0, 500) },
    });
    const { runId, status } = await this.conversation(sid).runTask(t.task);
    return { sid, runId, status };
  }

  /** `--schedule`: the task again at every tick of the cron expression (croner syntax). */
  schedule(cron: string, t: TaskOptions): Cron {
    const job = new Cron(cron, { protect: true }, async () => {
      await this.runTask(t).catch((err) => this.log('error', 'scheduled task failed', { err: String(err) }));
    });
    this.crons.push(job);
    return job;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.crons) c.stop();
    this.health.close();
    await Promise.all([...this.conversations.values()].map((c) => c.close()));
    await this.client.close();
  }

  /** Pulls pending items and hands each to its session; items stay pending until done [AGENT-INBOX-1]. */
  private async pull(): Promise<void> {
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = true;
    try {
      do {
        this.pullAgain = false;
        const page = await this.inbox.list(500);
        for (const item of page.items) void this.dispatch(item);
      } while (this.pullAgain && !this.stopped);
    } catch (err) {
      this.log('warn', 'inbox pull failed; the next doorbell retries', { err: String(err) });
    } finally {
      this.pulling = false;
    }
  }

  private async dispatch(item: InboxItem): Promise<void> {
    try {
      await this.conversation(item.sid).offer(item);
    } catch (err) {
      this.log('warn', 'could not handle inbox item; it stays pending', { itemId: item.itemId, sid: item.sid, err: String(err) });
    }
  }

  private conversation(sid: string): Conversation {
    let c = this.conversations.get(sid);
    if (!c) {
      const deps: ConversationDeps = {
        client: this.client,
        inbox: this.inbox,
        model: this.opts.model,
        health: this.health,
        limiter: this.limiter,
        self: this.opts.agentId,
        systemPrompt: this.opts.systemPrompt ?? DEFAULT_PROMPT,
        budgetTokens: this.opts.budgetTokens ?? 6000,
        doubleTexting: this.opts.doubleTexting ?? 'interrupt',
        maxSteps: this.opts.maxSteps ?? 8,
        askGraceMs: this.opts.askGraceMs ?? 10_000,
        log: (level, msg, fields) => this.log(level, msg, fields),
        runsChanged: (delta) => {
          this.runs += delta;
        },
      };
      this.conversations.set(sid, (c = new Conversation(sid, deps)));
    }
    return c;
  }

  private async publishStatus(): Promise<void> {
    if (this.stopped || this.client.state !== 'online') return;
    const reason = this.health.degradedReason;
    await this.client.setAgentStatus(reason ? 'degraded' : this.runs > 0 ? 'busy' : 'online', reason).catch(() => {});
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, msg, fields);
  }
}
