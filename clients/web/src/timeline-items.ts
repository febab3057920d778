/** The items of a session's timeline as the page shows them and localStorage keeps them (plain JSON). */
import type { EventDataOf, Part } from '../../../schemas/src/index.ts';

export interface MessageItem {
  kind: 'message';
  seq: number;
  time: string;
  msgId: string;
  sender: string;
  role: string;
  status: 'streaming' | 'ok' | 'failed' | 'cancelled';
  text: string;
  /** Chunks folded so far: the index the next delta must carry. */
  chunks: number;
  parts?: Part[];
  runId?: string;
  error?: string;
  /** Chunks before this window were never seen (the stream began before the oldest page). */
  incomplete?: boolean;
}

export interface Resolution {
  seq: number;
  outcome: 'answered' | 'default' | 'failed';
  value?: unknown;
  decidedBy: 'person' | 'timeout';
  by: string;
  /** The device the answer came from, when its command id names it (this app's `ans:{device}:…`). */
  device?: string;
}

export interface InputItem {
  kind: 'input';
  seq: number;
  time: string;
  requestId: string;
  sender: string;
  prompt: string;
  answerSchema?: Record<string, unknown>;
  deadline?: string;
  onTimeout: EventDataOf<'input.requested'>['onTimeout'];
  risk: 'low' | 'medium' | 'high';
  to?: string[];
  runId?: string;
  resolution?: Resolution;
}

export interface RunItem {
  kind: 'run';
  seq: number;
  time: string;
  runId: string;
  agent: string;
  title?: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  summary?: string;
  error?: string;
  cancelRequestedBy?: string;
}

export interface SteerItem {
  kind: 'steer';
  seq: number;
  time: string;
  sender: string;
  text: string;
  runId?: string;
  appliedAt?: number;
  supersededBy?: number;
}

export interface NoticeItem {
  kind: 'notice';
  seq: number;
  time: string;
  text: string;
}

export type Item = MessageItem | InputItem | RunItem | SteerItem | NoticeItem;

export interface TimelineData {
  v: 1;
  /** Every seq in (floor, lastSeq] is folded; older pages are fetched below floor. */
  floor: number;
  lastSeq: number;
  items: Item[];
}

/** The answer command id of this app: the device is in it, so everyone sees who answered from where. */
export function answerId(device: string, random: string): string {
  return `ans:${device}:${random}`;
}

export function deviceOfAnswer(cid: string | undefined): string | undefined {
  const m = /^ans:([A-Za-z0-9][A-Za-z0-9._-]*):/.exec(cid ?? '');
  return m ? m[1] : undefined;
}

export function textOf(parts: Part[] | undefined): string {
  return (parts ?? [])
    .filter((p) => p.kind === 'text')
    .map((p) => (p as { text: string }).text)
    .join('');
}
