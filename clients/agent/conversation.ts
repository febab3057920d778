/**
 * One session as the agent lives in it: it follows the session's log, answers the work its inbox
 * hands it with runs, honours cancel and steer, and applies the session's double-texting policy
 * to a message that arrives during a run (LangGraph's interrupt, enqueue, reject).
 */
import type { EventEnvelope, InboxItem } from '../../schemas/src/index.ts';
import type { Inbox, Session, StreamWriter, TetherClient } from '../lib/index.ts';
import { composeContext } from './context.ts';
import type { CallLimiter, EndpointHealth } from './health.ts';
import type { ChatModel, ToolCall } from './model/chat-model.ts';
import { askHuman } from './asking.ts';
import { runTool, TOOL_SPECS } from './tools.ts';
import { MARK, Transcript } from './transcript.ts';

export type DoubleTexting = 'interrupt' | 'enqueue' | 'reject';
export const DOUBLE_TEXTING: readonly DoubleTexting[] = ['interrupt', 'enqueue', 'reject'];

export interface ConversationDeps {
  client: TetherClient;
  inbox: Inbox;
  model: ChatModel;
  health: EndpointHealth;
  limiter: CallLimiter;
  self: string;
  systemPrompt: string;
  budgetTokens: number;
  doubleTexting: DoubleTexting;
  /** Most model calls in one run (a tool loop ends there). */
  maxSteps: number;
  /** Longest wait for a `wait`-policy question beyond its deadline. */
  askGraceMs: number;
  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  runsChanged(delta: 1 | -1): void;
}

type Stop = { why: 'cancel'; seq: number; reason?: string } | { why: 'interrupt'; seq: number } | { why: 'steer'; seq: number };

interface Run {
  runId: string;
  runSeq: number;
  items: InboxItem[];
  /** The model call or question in progress; aborted by cancel, steer and interrupt. */
  call?: AbortController;
  stop?: Stop;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export class Conversation {
  readonly transcript: Transcript;
  private session!: Session;
  private run?: Run;
  private readonly queue: InboxItem[] = [];
  private readonly taken = new Set<string>();
  private readonly waiters: { seq: number; resolve: () => void }[] = [];
  private opening?: Promise<void>;
  private draining = false;
  private closed = false;

  constructor(
    readonly sid: string,
    private readonly deps: ConversationDeps,
  ) {
    this.transcript = new Transcript(deps.self);
  }

  get busy(): boolean {
    return Boolean(this.run);
  }

  /** Joins the session from its first event, then ends what an earlier process left open [AGENT-RECOVER-1]. */
  open(): Promise<void> {
    this.opening ??= (async () => {
      this.session = await this.deps.client.join(this.sid, { after: 0, compact: true });
      this.session.on('event', (e) => this.onEvent(e));
      const { runs, streams } = await this.session.recover('the agent restarted; the run was ended and its work is picked up again');
      if (runs.length || streams.length)
        this.deps.log('warn', 'ended work left open by an earlier process', { sid: this.sid, runs, streams });
    })();
    return this.opening;
  }

  get policy(): DoubleTexting {
    const p = this.transcript.metadata.doubleTexting;
    return DOUBLE_TEXTING.includes(p as DoubleTexting) ? (p as DoubleTexting) : this.deps.doubleTexting;
  }

  /** An inbox item for this session. Items stay pending until the work they ask for is done. */
  async offer(item: InboxItem): Promise<void> {
    if (this.taken.has(item.itemId) || this.closed) return;
    this.taken.add(item.itemId);
    await this.open();
    await this.caughtUp(item.seq);
    switch (item.kind) {
      case 'message':
      case 'steer':
        if (this.turnFromOther(item.seq)) return this.onWork(item);
        return this.done([item]);
      default:
        // session.assigned (we are following it now), run.cancel_requested and input.resolved (acted
        // on from the log as they arrive), and kinds this version does not know [VER-COMPAT-4].
        return this.done([item]);
    }
  }

  /** Starts a run on a task of the agent's own (a scheduled or one-shot session). */
  async runTask(task: string): Promise<{ runId: string; status: string }> {
    await this.open();
    const ack = await this.session.send(task, { role: 'user' });
    await this.caughtUp(ack.seq);
    return this.startRun([], task);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.run?.call?.abort(new Error('the agent is stopping'));
    await this.session?.leave().catch(() => {});
  }

  private turnFromOther(seq: number): boolean {
    const t = this.transcript.turnAt(seq);
    return Boolean(t && t.sender !== this.deps.self);
  }

  private onWork(item: InboxItem): Promise<void> | void {
    const run = this.run;
    if (!run) {
      this.queue.push(item);
      return this.drain();
    }
    if (item.kind === 'steer') {
      // Taken by the next model call of this run; the item is done when the run is.
      run.items.push(item);
      return;
    }
    switch (this.policy) {
      case 'enqueue':
        this.queue.push(item);
        return;
      case 'reject':
        return this.reject(item, run);
      default:
        this.queue.push(...run.items, item);
        run.items = [];
        this.stop(run, { why: 'interrupt', seq: item.seq });
    }
  }

  private async reject(item: InboxItem, run: Run): Promise<void> {
    const reason = `rejected during run ${run.runId} (double-texting: reject)`;
    await this.session.send(
      `I am still working on run ${run.runId}; message #${item.seq} was not taken (this session rejects messages during a run). Send it again when I am done.`,
      { role: 'agent' },
    );
    // Not taken means not in any later context either: the mark in the log says so.
    await this.session.send([{ kind: 'json', value: { type: MARK.archive, seq: item.seq, reason } }], { role: 'system' });
    await this.deps.inbox.archive([item.itemId], reason);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length && !this.closed) {
        const items = this.queue.splice(0);
        const last = this.transcript.turnAt(items[items.length - 1].seq);
        const title = clip(last?.parts.map((p) => (p.kind === 'text' ? (p as { text: string }).text : '')).join(' ') || 'work', 200);
        await this.startRun(items, title).catch((err) =>
          this.deps.log('error', 'run failed unexpectedly', { sid: this.sid, err: String(err) }),
        );
      }
    } finally {
      this.draining = false;
    }
  }

  private onEvent(e: EventEnvelope): void {
    this.transcript.apply(e);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].seq <= e.seq) this.waiters.splice(i, 1)[0].resolve();
    }
    const run = this.run;
    if (!run || e.sender === this.deps.self) return;
    const d = e.data as { runId?: string; reason?: string };
    if (e.type === 'run.cancel_requested' && d.runId === run.runId) this.stop(run, { why: 'cancel', seq: e.seq, reason: d.reason });
    // A steer interrupts the generation at a chunk boundary; the next model call takes it.
    if (e.type === 'steer' && (!d.runId || d.runId === run.runId) && !run.stop) this.stop(run, { why: 'steer', seq: e.seq });
  }

  private stop(run: Run, stop: Stop): void {
    // A cancel outranks an interrupt, which outranks a steer.
    const rank = { steer: 0, interrupt: 1, cancel: 2 } as const;
    if (run.stop && rank[run.stop.why] >= rank[stop.why]) return;
    run.stop = stop;
    run.call?.abort(new Error(stop.why));
  }

  /** Resolves once the feed has delivered seq (bounded: a missing event must not hang a run). */
  private caughtUp(seq: number, ms = 15_000): Promise<void> {
    if (this.transcript.lastSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { seq, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        resolve();
      }, ms);
      this.waiters.push(w);
    });
  }

  private async startRun(items: InboxItem[], title: string): Promise<{ runId: string; status: string }> {
    // Pre-flight: while the endpoint does not answer, the work waits here (status degraded), unstarted.
    await this.deps.health.ready();
    const { runId, seq } = await this.session.startRun({ title: clip(title, 200) });
    const run: Run = { runId, runSeq: seq, items };
    this.run = run;
    this.deps.runsChanged(1);
    let status: 'completed' | 'failed' | 'cancelled' = 'completed';
    let summary: string | undefined;
    let error: string | undefined;
    try {
      summary = await this.work(run);
    } catch (err) {
      const stop = run.stop;
      if (stop?.why === 'cancel') {
        status = 'cancelled';
        summary = clip(`cancelled at #${stop.seq}${stop.reason ? `: ${stop.reason}` : ''}`, 160);
      } else if (stop?.why === 'interrupt') {
        status = 'cancelled';
        summary = clip(`interrupted by message #${stop.seq}`, 160);
      } else {
        status = 'failed';
        error = clip(String((err as Error).message ?? err), 1000);
        this.deps.log('warn', 'run failed', { sid: this.sid, runId, error });
      }
    } finally {
      this.run = undefined;
      this.deps.runsChanged(-1);
    }
    await this.session.finishRun(runId, status, { ...(summary ? { summary: clip(summary, 160) } : {}), ...(error ? { error } : {}) });
    await this.done(run.items);
    return { runId, status };
  }

  /** The model loop of a run: compose, call, stream, run the tools it asks for, until it answers. */
  private async work(run: Run): Promise<string> {
    let failures = 0;
    for (let step = 1; step <= this.deps.maxSteps; step++) {
      await this.deps.health.ready();
      if (run.stop?.why === 'cancel' || run.stop?.why === 'interrupt') throw new Error(run.stop.why);
      run.stop = undefined;
      for (const s of this.transcript.pendingSteers()) {
        const ack = await this.session.applySteer(s.seq);
        this.transcript.markApplied(s.seq);
        await this.caughtUp(ack.seq);
      }
      const { messages, manifest } = composeContext({
        transcript: this.transcript,
        systemPrompt: this.deps.systemPrompt,
        budgetTokens: this.deps.budgetTokens,
        runId: run.runId,
        step,
        model: this.deps.model.label,
        runSeq: run.runSeq,
      });
      await this.session.send([{ kind: 'json', value: manifest }], { role: 'system' });
      const out = await this.deps.limiter.run(() => this.callModel(run, messages));
      if (out.kind === 'stopped') {
        const stop = run.stop as Stop | undefined;
        if (stop?.why === 'steer') continue;
        throw new Error(stop?.why ?? 'stopped');
      }
      if (out.kind === 'unavailable') {
        // The endpoint failed under us: wait for it (status degraded) and try this step again.
        if (++failures > 5) throw new Error(`the model endpoint kept failing: ${out.reason}`);
        step--;
        continue;
      }
      if (!out.calls.length) return out.text || 'done';
      for (const call of out.calls) await this.toolStep(run, call);
    }
    return `stopped after ${this.deps.maxSteps} model calls`;
  }

  private async callModel(
    run: Run,
    messages: Parameters<ChatModel['stream']>[0]['messages'],
  ): Promise<{ kind: 'answer'; text: string; calls: ToolCall[] } | { kind: 'stopped' } | { kind: 'unavailable'; reason: string }> {
    const ac = new AbortController();
    run.call = ac;
    if (run.stop) ac.abort(new Error(run.stop.why));
    let writer: StreamWriter | undefined;
    let text = '';
    const calls: ToolCall[] = [];
    try {
      for await (const chunk of this.deps.model.stream({ messages, tools: TOOL_SPECS, signal: ac.signal })) {
        if (ac.signal.aborted) break;
        if (chunk.kind === 'text') {
          writer ??= this.session.stream({ runId: run.runId, role: 'agent' });
          text += chunk.text;
          await writer.write(chunk.text);
        } else calls.push(chunk.call);
      }
    } catch (err) {
      if (!ac.signal.aborted) {
        await writer?.fail(String((err as Error).message ?? err)).catch(() => {});
        if (isEndpointFailure(err)) {
          this.deps.health.markFailed(err);
          return { kind: 'unavailable', reason: String((err as Error).message ?? err) };
        }
        throw err;
      }
    } finally {
      run.call = undefined;
    }
    if (ac.signal.aborted) {
      await writer?.fail(`interrupted (${run.stop?.why ?? 'stopped'})`, 'cancelled').catch(() => {});
      return { kind: 'stopped' };
    }
    if (writer) await writer.complete();
    return { kind: 'answer', text, calls };
  }

  /** A tool call and its result are both events of the log. */
  private async toolStep(run: Run, call: ToolCall): Promise<void> {
    let args: Record<string, unknown> = {};
    try {
      args = JSON.parse(call.function.arguments || '{}') as Record<string, unknown>;
    } catch {
      args = { unparsed: call.function.arguments };
    }
    const callId = safeId(call.id);
    await this.session.send([{ kind: 'tool_call', callId, name: clip(call.function.name || 'unknown', 128), arguments: args }], {
      role: 'agent',
    });
    const ac = new AbortController();
    run.call = ac;
    if (run.stop && run.stop.why !== 'steer') ac.abort(new Error(run.stop.why));
    const { result, isError } = await runTool(call.function.name, args, {
      client: this.deps.client,
      inbox: this.deps.inbox,
      session: this.session,
      runId: run.runId,
      signal: ac.signal,
      askHuman: (a) => askHuman(this.session, run.runId, a, ac.signal, this.deps.askGraceMs),
    });
    run.call = undefined;
    const ack = await this.session.send([{ kind: 'tool_result', callId, result, ...(isError ? { isError: true } : {}) }], { role: 'tool' });
    await this.caughtUp(ack.seq);
    if (run.stop?.why === 'cancel' || run.stop?.why === 'interrupt') throw new Error(run.stop.why);
  }

  private async done(items: InboxItem[]): Promise<void> {
    const ids = items.map((i) => i.itemId);
    if (!ids.length) return;
    await this.deps.inbox
      .ack(ids)
      .catch((err) => this.deps.log('warn', 'inbox ack failed; the items stay pending', { sid: this.sid, err: String(err) }));
  }
}

/** Tool-call ids of some endpoints are outside the protocol's id alphabet. */
function safeId(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return (clean || 'call').slice(0, 64);
}

/** Network errors and 5xx/429 answers: the endpoint's trouble, not the request's. */
function isEndpointFailure(err: unknown): boolean {
  const e = err as { status?: number; name?: string; code?: string; cause?: unknown };
  if (typeof e.status === 'number') return e.status >= 500 || e.status === 429;
  return (
    e.name === 'APIConnectionError' ||
    e.name === 'APIConnectionTimeoutError' ||
    e.name === 'FetchError' ||
    e.code === 'ECONNREFUSED' ||
    e.name === 'TypeError'
  );
}
