/**
 * What `tether chat` shows of a session: every item of its feed, in seq order and exactly once
 * (the library's feed guarantees it across reconnects), as lines and growing token streams. It
 * also keeps what the person's commands need: the open runs and the open input requests.
 */
import type { EventDataOf, EventEnvelope, SessionState } from '../../schemas/src/index.ts';
import type { FeedItem, MessageFold } from '../lib/index.ts';
import type { ChatScreen } from './chat-screen.ts';
import { eventText, partsText } from './event-text.ts';
import { inputDetails, type InputRequest } from './input-text.ts';
import type { Output, Style } from './output.ts';

export interface OpenRun {
  runId: string;
  agent: string;
  title?: string;
}

export type OpenInputView = InputRequest & { seq: number; by: string };

export class ChatView {
  /** Open runs, oldest first. */
  readonly runs = new Map<string, OpenRun>();
  /** Open input requests, oldest first. */
  readonly inputs = new Map<string, OpenInputView>();
  /** Text of each message shown so far. */
  private readonly shown = new Map<string, string>();
  private readonly agents = new Set<string>();

  constructor(
    private readonly out: Output,
    private readonly screen: ChatScreen | undefined,
    private readonly me: string,
    private readonly fold: MessageFold,
  ) {}

  apply(item: FeedItem): void {
    if (item.kind === 'reset') this.onReset(item.atSeq, item.state);
    else if (item.kind === 'rewind') this.onRewind();
    else this.onEvent(item.event);
  }

  /** A remark of the chat itself (not from the log). */
  notice(text: string, style: Style = 'dim', record?: Record<string, unknown>): void {
    if (this.out.json) this.out.record({ kind: 'status', text, ...record });
    else this.screen?.line(this.out.paint(style, text));
  }

  /** The open input requests with the time left, for /inputs. */
  listInputs(): void {
    if (this.inputs.size === 0) return this.notice('no open input requests');
    for (const req of this.inputs.values()) this.showInput(req);
  }

  private onEvent(e: EventEnvelope): void {
    this.track(e);
    if (this.out.json) {
      this.out.record({ kind: 'event', event: e });
      return;
    }
    const screen = this.screen!;
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'message':
        screen.line(`${this.header(e.sender, String(d.role))}${partsText(d.parts)}`);
        return;
      case 'message.started':
        this.shown.set(String(d.msgId), '');
        screen.stream(String(d.msgId), this.header(e.sender, String(d.role)), '');
        return;
      case 'message.delta':
        this.grow(e, String(d.msgId));
        return;
      case 'message.completed':
        this.complete(e, e.data as EventDataOf<'message.completed'>);
        return;
      case 'input.requested':
        this.showInput(this.inputs.get(String(d.requestId))!);
        return;
      case 'input.resolved': {
        const r = e.data as EventDataOf<'input.resolved'>;
        const style = r.outcome === 'failed' ? 'red' : r.outcome === 'default' ? 'yellow' : 'green';
        screen.line(`${this.out.paint(style, r.outcome === 'failed' ? 'x' : '✓')} ${eventText(e)}`);
        return;
      }
      case 'steer':
        screen.line(this.out.paint('cyan', `── ${e.sender} steers${d.runId ? ` run ${String(d.runId)}` : ''}: ${String(d.text)}`));
        return;
      default:
        screen.line(this.out.paint('dim', `── ${e.sender === '@host' ? '' : `${e.sender}: `}${eventText(e)}`));
    }
  }

  /** Prints the text of the message that is new since the last print. */
  private grow(e: EventEnvelope, msgId: string): void {
    const view = this.fold.get(msgId);
    if (!view) return;
    const before = this.shown.get(msgId) ?? '';
    const more = view.text.startsWith(before) ? view.text.slice(before.length) : '';
    this.shown.set(msgId, before + more);
    this.screen!.stream(msgId, this.header(e.sender, view.role, before !== ''), more);
  }

  private complete(e: EventEnvelope, d: EventDataOf<'message.completed'>): void {
    const screen = this.screen!;
    const final = partsText(d.parts);
    const before = this.shown.get(d.msgId) ?? '';
    this.shown.delete(d.msgId);
    const suffix =
      d.status === 'cancelled'
        ? this.out.paint('yellow', ' [cancelled]')
        : d.status === 'failed'
          ? this.out.paint('red', ` [failed${d.error ? `: ${d.error}` : ''}]`)
          : '';
    if (final.startsWith(before)) {
      const rest = final.slice(before.length);
      if (rest !== '' || !screen.endStream(d.msgId, suffix)) {
        screen.stream(d.msgId, this.header(e.sender, d.role, before !== ''), rest);
        screen.endStream(d.msgId, suffix);
      }
      return;
    }
    // The final parts differ from the streamed text [CMD-STREAM-8]: the final content is shown.
    screen.endStream(d.msgId);
    screen.line(`${this.header(e.sender, d.role)}${this.out.paint('dim', '(final) ')}${final}${suffix}`);
  }

  private showInput(req: OpenInputView): void {
    if (this.out.json) {
      this.out.record({ kind: 'input', ...req });
      return;
    }
    const screen = this.screen!;
    screen.line(`${this.out.paint(['bold', 'yellow'], `? ${req.requestId}`)} ${req.by} asks: ${req.prompt}`);
    screen.line(`  ${inputDetails(this.out, req)}`);
    const mine = !req.to || req.to.includes(this.me);
    screen.line(
      this.out.paint(
        'dim',
        mine ? `  answer: /answer ${req.requestId} VALUE  (or /answer ${req.requestId}, then the value)` : `  for ${req.to!.join(', ')}`,
      ),
    );
  }

  private header(sender: string, role: string, continued = false): string {
    if (role === 'agent') this.agents.add(sender);
    const style: Style = sender === this.me ? 'cyan' : this.agents.has(sender) ? 'magenta' : 'blue';
    return `${this.out.paint(['bold', style], sender)}${continued ? this.out.paint('dim', ' (cont.)') : ''}: `;
  }

  private track(e: EventEnvelope): void {
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'run.started':
        this.runs.set(String(d.runId), { runId: String(d.runId), agent: e.sender, title: d.title as string | undefined });
        break;
      case 'run.finished':
        this.runs.delete(String(d.runId));
        break;
      case 'input.requested':
        this.inputs.set(String(d.requestId), { ...(e.data as EventDataOf<'input.requested'>), seq: e.seq, by: e.sender });
        break;
      case 'input.resolved':
        this.inputs.delete(String(d.requestId));
        break;
      case 'session.closed':
        this.runs.clear();
        this.inputs.clear();
        break;
    }
  }

  private onReset(atSeq: number, state: SessionState): void {
    this.runs.clear();
    this.inputs.clear();
    for (const r of state.openRuns) this.runs.set(r.runId, { runId: r.runId, agent: r.agent, title: r.title });
    for (const i of state.openInputs) this.inputs.set(i.requestId, { ...i, by: '?' });
    if (this.out.json) this.out.record({ kind: 'reset', atSeq, state });
    else this.notice(`── events up to seq ${atSeq} are no longer kept; continuing from there`);
  }

  private onRewind(): void {
    this.runs.clear();
    this.inputs.clear();
    this.shown.clear();
    if (this.out.json) this.out.record({ kind: 'rewind' });
    else this.notice('── the host lost events it had sent; the session is shown again from the start', 'yellow');
  }
}
