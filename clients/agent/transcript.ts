/**
 * The agent's reading of one session's log: complete messages, steers, its own bookkeeping
 * (archive marks and context manifests) and what each of them makes of the model's context. Built
 * only from events, so a restarted agent that reads the log again reaches the same view.
 */
import type { EventEnvelope, Part } from '../../schemas/src/index.ts';

/** `value.type` of the JSON parts the agent writes about its own context (spec/v1/agent.md). */
export const MARK = { manifest: 'tether.context.manifest', archive: 'tether.context.archive', pin: 'tether.context.pin' } as const;

export interface Turn {
  seq: number;
  sender: string;
  role: 'user' | 'agent' | 'system' | 'tool';
  parts: Part[];
  /** For a steer: the steer it replaces. */
  steer?: { runId?: string; supersededBy?: number; applied?: boolean };
}

export interface Exclusion {
  seq: number;
  reason: string;
}

export class Transcript {
  readonly turns: Turn[] = [];
  /** Seqs archived (by a mark in the log), with the reason. */
  readonly archived = new Map<number, string>();
  readonly pinned = new Set<number>();
  /** Seqs of the agent's own bookkeeping messages (manifests, marks): never in the context. */
  readonly bookkeeping = new Set<number>();
  title?: string;
  metadata: Record<string, unknown> = {};
  lastSeq = 0;
  private readonly open = new Map<string, { seq: number; sender: string; role: Turn['role']; text: string }>();
  private readonly steers = new Map<number, Turn>();

  constructor(readonly self: string) {}

  apply(e: EventEnvelope): void {
    if (e.seq <= this.lastSeq) return;
    this.lastSeq = e.seq;
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'session.created':
        this.title = typeof d.title === 'string' ? d.title : undefined;
        this.metadata = (d.metadata as Record<string, unknown> | undefined) ?? {};
        break;
      case 'message':
        this.addMessage(e.seq, e.sender, d.role as Turn['role'], d.parts as Part[]);
        break;
      case 'message.started':
        this.open.set(String(d.msgId), { seq: e.seq, sender: e.sender, role: d.role as Turn['role'], text: '' });
        break;
      case 'message.delta': {
        const m = this.open.get(String(d.msgId));
        if (m) m.text += String(d.text);
        break;
      }
      case 'message.completed': {
        const m = this.open.get(String(d.msgId));
        this.open.delete(String(d.msgId));
        const parts = (d.parts as Part[] | undefined) ?? (m?.text ? [{ kind: 'text' as const, text: m.text }] : []);
        // Keyed by the completing seq, which history keeps when it compacts the stream. A cancelled or
        // failed stream is still what the person saw: it stays in the context.
        if (parts.length) this.addMessage(e.seq, e.sender, (m?.role ?? 'agent') as Turn['role'], parts);
        break;
      }
      case 'steer': {
        const turn: Turn = {
          seq: e.seq,
          sender: e.sender,
          role: 'user',
          parts: [{ kind: 'text', text: String(d.text) }],
          steer: { runId: d.runId as string | undefined },
        };
        const supersedes = d.supersedes as number | undefined;
        const older = supersedes !== undefined ? this.steers.get(supersedes) : undefined;
        if (older?.steer) older.steer.supersededBy = e.seq;
        this.steers.set(e.seq, turn);
        this.turns.push(turn);
        break;
      }
      case 'steer.applied': {
        const s = this.steers.get(Number(d.steerSeq));
        if (s?.steer) s.steer.applied = true;
        break;
      }
      default:
        break;
    }
  }

  /** Steers not yet applied and not superseded: what the next model call must take. */
  pendingSteers(): Turn[] {
    return [...this.steers.values()].filter((s) => !s.steer?.applied && s.steer?.supersededBy === undefined);
  }

  /** Marks a steer applied locally (its steer.applied event follows through the log). */
  markApplied(seq: number): void {
    const s = this.steers.get(seq);
    if (s?.steer) s.steer.applied = true;
  }

  turnAt(seq: number): Turn | undefined {
    return this.turns.find((t) => t.seq === seq);
  }

  private addMessage(seq: number, sender: string, role: Turn['role'], parts: Part[]): void {
    const marks = parts.filter(
      (p): p is { kind: 'json'; value: Record<string, unknown> } => p.kind === 'json' && isMark((p as { value?: unknown }).value),
    );
    if (sender === this.self && marks.length) {
      this.bookkeeping.add(seq);
      for (const { value } of marks) {
        if (value.type === MARK.archive && typeof value.seq === 'number') this.archived.set(value.seq, String(value.reason ?? ''));
        if (value.type === MARK.pin && typeof value.seq === 'number') this.pinned.add(value.seq);
      }
      return;
    }
    this.turns.push({ seq, sender, role, parts });
  }
}

function isMark(v: unknown): v is Record<string, unknown> {
  return (
    Boolean(v) &&
    typeof v === 'object' &&
    typeof (v as Record<string, unknown>).type === 'string' &&
    String((v as Record<string, unknown>).type).startsWith('tether.context.')
  );
}
