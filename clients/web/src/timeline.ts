/**
 * What the session view shows, folded from the log: messages (with the text so far of a stream),
 * runs, steers, input requests with their outcome, and notices. A plain JSON value, so it is kept in
 * localStorage together with the seq it reflects: a reload shows it at once and resumes after that
 * seq, and since both are written as one value the view never claims a seq it has not folded
 * [CLIENT-DELIVER-3].
 */
import type { EventDataOf, EventEnvelope, SessionState } from '../../../schemas/src/index.ts';
import {
  deviceOfAnswer,
  textOf,
  type InputItem,
  type Item,
  type MessageItem,
  type Resolution,
  type RunItem,
  type SteerItem,
  type TimelineData,
} from './timeline-items.ts';

export * from './timeline-items.ts';

const keyOf = (i: Item): string | undefined =>
  i.kind === 'message' ? `m:${i.msgId}` : i.kind === 'input' ? `i:${i.requestId}` : i.kind === 'run' ? `r:${i.runId}` : undefined;

export class Timeline {
  floor: number;
  lastSeq: number;
  items: Item[];
  private readonly byKey = new Map<string, Item>();

  constructor(data?: TimelineData, floor = 0) {
    this.floor = data?.floor ?? floor;
    this.lastSeq = data?.lastSeq ?? floor;
    this.items = data?.items ?? [];
    for (const i of this.items) this.index(i);
  }

  toJSON(): TimelineData {
    return { v: 1, floor: this.floor, lastSeq: this.lastSeq, items: this.items };
  }

  /** The view of the first `max` recent items, for the cache: older ones are fetched again when scrolled to. */
  recent(max: number): TimelineData {
    if (this.items.length <= max) return this.toJSON();
    const items = this.items.slice(-max);
    return { v: 1, floor: items[0].seq - 1, lastSeq: this.lastSeq, items };
  }

  get(key: string): Item | undefined {
    return this.byKey.get(key);
  }

  message(msgId: string): MessageItem | undefined {
    return this.byKey.get(`m:${msgId}`) as MessageItem | undefined;
  }

  openInputs(): InputItem[] {
    return this.items.filter((i): i is InputItem => i.kind === 'input' && !i.resolution);
  }

  openRuns(): RunItem[] {
    return this.items.filter((i): i is RunItem => i.kind === 'run' && i.status === 'running');
  }

  /** Folds one event delivered in seq order; returns false for a seq already folded. */
  apply(e: EventEnvelope): boolean {
    if (e.seq <= this.lastSeq) return false;
    this.lastSeq = e.seq;
    this.fold(e);
    return true;
  }

  /** The snapshot of a reset: what was before atSeq is gone from the log. */
  reset(atSeq: number, state: SessionState): void {
    this.items = [];
    this.byKey.clear();
    this.floor = atSeq;
    this.lastSeq = atSeq;
    this.push({
      kind: 'notice',
      seq: atSeq,
      time: state.updatedAt,
      text: `Earlier history is no longer kept (the log starts after #${atSeq}).`,
    });
  }

  /** The host lost events: everything comes again from seq 1. */
  rewind(): void {
    this.items = [];
    this.byKey.clear();
    this.floor = 0;
    this.lastSeq = 0;
  }

  /**
   * Older events (seqs in (after, floor]) from a history page: folded on their own and put in front;
   * an item already on screen (a message completed, a request resolved in the window) keeps its
   * state and gains what only the older page had (a request's prompt, a run's title).
   */
  prepend(events: EventEnvelope[], after: number): void {
    const older = new Timeline(undefined, after);
    for (const e of events) if (e.seq <= this.floor) older.apply(e);
    const front: Item[] = [];
    for (const item of older.items) {
      const key = keyOf(item);
      const now = key ? this.byKey.get(key) : undefined;
      if (!now) {
        front.push(item);
        if (key) this.byKey.set(key, item);
        continue;
      }
      if (now.kind === 'message' && item.kind === 'message' && now.incomplete && now.status === 'streaming') {
        now.text = item.text + now.text;
        now.incomplete = item.incomplete;
      }
      Object.assign(now, { ...item, ...stripUndefined(now), seq: item.seq });
    }
    this.items = [...front, ...this.items].sort((a, b) => a.seq - b.seq);
    this.floor = after;
  }

  private push(item: Item): void {
    this.items.push(item);
    this.index(item);
  }

  private index(item: Item): void {
    const key = keyOf(item);
    if (key) this.byKey.set(key, item);
  }

  private fold(e: EventEnvelope): void {
    const base = { seq: e.seq, time: e.time };
    switch (e.type) {
      case 'session.created': {
        const d = e.data as EventDataOf<'session.created'>;
        const others = d.participants.filter((p) => p.principal !== e.sender).map((p) => `${p.principal} (${p.role})`);
        this.push({
          kind: 'notice',
          ...base,
          text: `${e.sender} started the session${others.length ? ` with ${others.join(', ')}` : ''}.`,
        });
        return;
      }
      case 'participant.joined': {
        const d = e.data as EventDataOf<'participant.joined'>;
        this.push({ kind: 'notice', ...base, text: `${e.sender} added ${d.principal} as ${d.role}.` });
        return;
      }
      case 'participant.left': {
        const d = e.data as EventDataOf<'participant.left'>;
        this.push({ kind: 'notice', ...base, text: `${e.sender} removed ${d.principal}.` });
        return;
      }
      case 'session.closed': {
        const d = e.data as EventDataOf<'session.closed'>;
        this.push({ kind: 'notice', ...base, text: `${e.sender} closed the session${d.reason ? `: ${d.reason}` : '.'}` });
        return;
      }
      case 'message': {
        const d = e.data as EventDataOf<'message'>;
        this.push({
          kind: 'message',
          ...base,
          msgId: d.msgId,
          sender: e.sender,
          role: d.role,
          status: 'ok',
          text: textOf(d.parts),
          chunks: 0,
          parts: d.parts,
        });
        return;
      }
      case 'message.started': {
        const d = e.data as EventDataOf<'message.started'>;
        if (this.message(d.msgId)) return;
        this.push({
          kind: 'message',
          ...base,
          msgId: d.msgId,
          sender: e.sender,
          role: d.role,
          status: 'streaming',
          text: '',
          chunks: 0,
          ...(d.runId ? { runId: d.runId } : {}),
        });
        return;
      }
      case 'message.delta': {
        const d = e.data as EventDataOf<'message.delta'>;
        let m = this.message(d.msgId);
        if (!m) {
          m = {
            kind: 'message',
            ...base,
            msgId: d.msgId,
            sender: e.sender,
            role: 'agent',
            status: 'streaming',
            text: '',
            chunks: d.i,
            incomplete: d.i > 0,
          };
          this.push(m);
        }
        const n = d.n ?? 1;
        // Chunk indexes make a repeated chunk harmless, whatever delivered it twice.
        if (d.i + n <= m.chunks) return;
        if (d.i > m.chunks) m.incomplete = true;
        m.text += d.text;
        m.chunks = d.i + n;
        return;
      }
      case 'message.completed': {
        const d = e.data as EventDataOf<'message.completed'>;
        const m = this.message(d.msgId);
        const done = {
          status: d.status,
          text: textOf(d.parts),
          parts: d.parts,
          chunks: d.chunks,
          role: d.role,
          ...(d.error ? { error: d.error } : {}),
        };
        if (m) {
          Object.assign(m, done);
          delete m.incomplete;
        } else this.push({ kind: 'message', seq: d.startedSeq, time: e.time, msgId: d.msgId, sender: e.sender, ...done });
        return;
      }
      case 'run.started': {
        const d = e.data as EventDataOf<'run.started'>;
        this.push({ kind: 'run', ...base, runId: d.runId, agent: e.sender, status: 'running', ...(d.title ? { title: d.title } : {}) });
        return;
      }
      case 'run.cancel_requested': {
        const d = e.data as EventDataOf<'run.cancel_requested'>;
        const r = this.byKey.get(`r:${d.runId}`) as RunItem | undefined;
        if (r) r.cancelRequestedBy = e.sender;
        this.push({ kind: 'notice', ...base, text: `${e.sender} asked to cancel the run${d.reason ? `: ${d.reason}` : '.'}` });
        return;
      }
      case 'run.finished': {
        const d = e.data as EventDataOf<'run.finished'>;
        let r = this.byKey.get(`r:${d.runId}`) as RunItem | undefined;
        if (!r) this.push((r = { kind: 'run', ...base, runId: d.runId, agent: e.sender, status: d.status }));
        r.status = d.status;
        if (d.summary) r.summary = d.summary;
        if (d.error) r.error = d.error;
        return;
      }
      case 'steer': {
        const d = e.data as EventDataOf<'steer'>;
        if (d.supersedes) {
          const old = this.items.find((i): i is SteerItem => i.kind === 'steer' && i.seq === d.supersedes);
          if (old) old.supersededBy = e.seq;
        }
        this.push({ kind: 'steer', ...base, sender: e.sender, text: d.text, ...(d.runId ? { runId: d.runId } : {}) });
        return;
      }
      case 'steer.applied': {
        const d = e.data as EventDataOf<'steer.applied'>;
        const s = this.items.find((i): i is SteerItem => i.kind === 'steer' && i.seq === d.steerSeq);
        if (s) s.appliedAt = e.seq;
        return;
      }
      case 'input.requested': {
        const d = e.data as EventDataOf<'input.requested'>;
        this.push({ kind: 'input', ...base, sender: e.sender, ...d });
        return;
      }
      case 'input.resolved': {
        const d = e.data as EventDataOf<'input.resolved'>;
        const device = d.decidedBy === 'person' ? deviceOfAnswer(e.cid) : undefined;
        const resolution: Resolution = {
          seq: e.seq,
          outcome: d.outcome,
          decidedBy: d.decidedBy,
          by: d.by,
          ...('value' in d ? { value: d.value } : {}),
          ...(device ? { device } : {}),
        };
        const i = this.byKey.get(`i:${d.requestId}`) as InputItem | undefined;
        if (i) i.resolution = resolution;
        else
          this.push({
            kind: 'input',
            seq: d.requestSeq,
            time: e.time,
            requestId: d.requestId,
            sender: '',
            prompt: '',
            onTimeout: { policy: 'wait' },
            risk: 'low',
            resolution,
          });
        return;
      }
      default:
        // An event type of a later 1.x: shown as a notice rather than dropped [VER-COMPAT-4].
        this.push({ kind: 'notice', ...base, text: `${e.sender}: ${e.type}` });
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}
