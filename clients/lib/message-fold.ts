/**
 * Folds session events into message views: the text so far of every message, streamed or not.
 * Deltas append in chunk order (a merged history delta carries n chunks); message.completed's
 * parts replace whatever was assembled from chunks [CMD-STREAM-8].
 */
import type { EventDataOf, EventEnvelope, Part, SessionState } from '../../schemas/src/index.ts';
import type { FeedItem } from './session-feed.ts';

export type MessageStatus = 'streaming' | 'ok' | 'failed' | 'cancelled';

export interface MessageView {
  msgId: string;
  sender: string;
  role: string;
  status: MessageStatus;
  /** Text so far: the concatenated chunks while streaming, the text parts once complete. */
  text: string;
  /** Final parts (complete messages only). */
  parts?: Part[];
  /** Chunks received so far (the next expected chunk index). */
  chunks: number;
  /** Seq of the event that opened the message (message.started or message). */
  startedSeq?: number;
  /** Seq of the last event that changed the view. */
  seq: number;
  runId?: string;
  error?: string;
  /** True when chunks were missing (e.g. the log before a reset was pruned): the text has holes. */
  incomplete?: boolean;
}

function textOfParts(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  return parts
    .filter(
      (p): p is { kind: 'text'; text: string } =>
        !!p && (p as { kind?: unknown }).kind === 'text' && typeof (p as { text?: unknown }).text === 'string',
    )
    .map((p) => p.text)
    .join('');
}

export class MessageFold {
  private readonly views = new Map<string, MessageView>();
  /** msgIds of messages still streaming. */
  private readonly open = new Set<string>();

  /** Applies a feed item or a bare event; returns the view it changed, if any. */
  apply(item: FeedItem | EventEnvelope): MessageView | undefined {
    if ('kind' in item) {
      if (item.kind === 'reset') {
        this.reset(item.state);
        return undefined;
      }
      if (item.kind === 'rewind') {
        this.views.clear();
        this.open.clear();
        return undefined;
      }
      return this.applyEvent(item.event);
    }
    return this.applyEvent(item as EventEnvelope);
  }

  get(msgId: string): MessageView | undefined {
    return this.views.get(msgId);
  }

  /** Every message, in the order it first appeared. */
  list(): MessageView[] {
    return [...this.views.values()];
  }

  /** The seq before the start of the oldest message still streaming (Infinity when none). */
  openFloor(): number {
    let floor = Infinity;
    for (const msgId of this.open) {
      const started = this.views.get(msgId)?.startedSeq;
      if (started !== undefined) floor = Math.min(floor, started - 1);
    }
    return floor;
  }

  /**
   * After a reset (snapshot at atSeq): views of messages that were streaming but are no longer
   * open at atSeq lost their end; they are marked incomplete. Completed views stay as they are.
   */
  reset(state: SessionState): void {
    const open = new Set(state.openMessages.map((m) => m.msgId));
    for (const v of this.views.values()) {
      if (v.status === 'streaming' && !open.has(v.msgId)) {
        v.incomplete = true;
        this.open.delete(v.msgId);
      }
    }
  }

  /**
   * Event data is read as its schema defines it, but only the envelope was checked
   * [ENV-UNKNOWN-1]: fields a host left out fall back to the view so far.
   */
  private applyEvent(e: EventEnvelope): MessageView | undefined {
    switch (e.type) {
      case 'message': {
        const d = e.data as EventDataOf<'message'>;
        const v: MessageView = {
          msgId: d.msgId,
          sender: e.sender,
          role: d.role,
          status: 'ok',
          text: textOfParts(d.parts),
          parts: d.parts,
          chunks: 0,
          startedSeq: e.seq,
          seq: e.seq,
        };
        this.views.set(d.msgId, v);
        return v;
      }
      case 'message.started': {
        const d = e.data as EventDataOf<'message.started'>;
        const v: MessageView = {
          msgId: d.msgId,
          sender: e.sender,
          role: d.role,
          status: 'streaming',
          text: '',
          chunks: 0,
          startedSeq: e.seq,
          seq: e.seq,
        };
        if (d.runId !== undefined) v.runId = d.runId;
        this.views.set(d.msgId, v);
        this.open.add(d.msgId);
        return v;
      }
      case 'message.delta': {
        const d = e.data as EventDataOf<'message.delta'>;
        let v = this.views.get(d.msgId);
        if (!v) {
          v = {
            msgId: d.msgId,
            sender: e.sender,
            role: 'agent',
            status: 'streaming',
            text: '',
            chunks: 0,
            seq: e.seq,
            incomplete: d.i > 0,
          };
          this.views.set(d.msgId, v);
          this.open.add(d.msgId);
        }
        const i = Number(d.i);
        const n = Number(d.n ?? 1);
        if (i + n <= v.chunks) return v; // chunks already folded
        if (i > v.chunks) v.incomplete = true;
        v.text += String(d.text ?? '');
        v.chunks = i + n;
        v.seq = e.seq;
        return v;
      }
      case 'message.completed': {
        const d = e.data as EventDataOf<'message.completed'>;
        const prev = this.views.get(d.msgId);
        const v: MessageView = {
          msgId: d.msgId,
          sender: prev?.sender ?? e.sender,
          role: d.role ?? prev?.role ?? 'agent',
          status: d.status ?? 'ok',
          text: textOfParts(d.parts),
          parts: d.parts,
          chunks: typeof d.chunks === 'number' ? d.chunks : (prev?.chunks ?? 0),
          startedSeq: d.startedSeq ?? prev?.startedSeq,
          seq: e.seq,
        };
        const runId = prev?.runId;
        if (runId !== undefined) v.runId = runId;
        if (d.error !== undefined) v.error = d.error;
        this.views.set(d.msgId, v);
        this.open.delete(d.msgId);
        return v;
      }
      default:
        return undefined;
    }
  }
}
