/** How `tether watch` prints each kind of notification: a line for people, or a JSON record. */
import type { Notification } from '../lib/index.ts';
import { inputDetails, inputRecord, type InputRequest } from './input-text.ts';
import type { Output } from './output.ts';
import { clip } from './table.ts';

const clock = () => new Date().toTimeString().slice(0, 8);

export class WatchPrinter {
  constructor(private readonly out: Output) {}

  ready(principal: string, sessions: number, open: number): void {
    if (this.out.json) this.out.record({ kind: 'ready', principal, sessions, open });
    else
      this.out.note(
        this.out.paint('dim', `watching as ${principal}: ${sessions} session${sessions === 1 ? '' : 's'}, ${open} open. Ctrl-C to stop.`),
      );
  }

  session(sid: string, s: { title?: string; by?: string; role?: string; seq?: number }): void {
    if (this.out.json) {
      this.out.record({ kind: 'session', sid, ...s });
      return;
    }
    const title = s.title ? ` "${clip(s.title, 80)}"` : '';
    const by = s.by ? ` from ${s.by}` : '';
    this.line('+', 'green', `new session ${this.out.paint('bold', sid)}${title}${by}${s.role ? ` (you: ${s.role})` : ''}`);
  }

  /** `waiting`: found open on start rather than notified now. */
  input(sid: string, seq: number, by: string | undefined, req: InputRequest, waiting: boolean): void {
    if (this.out.json) {
      this.out.record({ kind: 'input', sid, seq, by, ...inputRecord(req), ...(waiting ? { waiting: true } : {}) });
      return;
    }
    const who = by ? `${by} asks` : 'asked';
    this.line(
      '?',
      'yellow',
      `${this.out.paint('bold', sid)} ${req.requestId} ${who}: ${clip(req.prompt, 200)}${waiting ? this.out.paint('dim', ' (waiting)') : ''}`,
    );
    this.out.line(`           ${inputDetails(this.out, req)}`);
    this.out.line(this.out.paint('dim', `           answer: tether answer ${sid} ${req.requestId} VALUE`));
  }

  result(sid: string, seq: number, r: { runId?: string; status?: string; summary?: string }): void {
    if (this.out.json) {
      this.out.record({ kind: 'result', sid, seq, ...r });
      return;
    }
    const style = r.status === 'completed' ? 'green' : r.status === 'failed' ? 'red' : 'yellow';
    const run = r.runId ? `run ${r.runId} ` : '';
    this.line('=', style, `${this.out.paint('bold', sid)} ${run}${r.status ?? 'finished'}${r.summary ? `: ${clip(r.summary, 200)}` : ''}`);
  }

  closed(sid: string, seq: number, by: string | undefined, text: string): void {
    if (this.out.json) this.out.record({ kind: 'closed', sid, seq, by, text });
    else this.line('x', 'dim', `${this.out.paint('bold', sid)} closed${by ? ` by ${by}` : ''}${text ? `: ${clip(text, 120)}` : ''}`);
  }

  other(n: Notification): void {
    if (this.out.json) this.out.record({ kind: 'notification', k: n.k, sid: n.sid, seq: n.seq, text: n.t });
    else this.line('·', 'dim', `${this.out.paint('bold', n.sid)} ${n.k}: ${n.t}`);
  }

  connection(lost: boolean): void {
    if (this.out.json) this.out.record({ kind: 'connection', state: lost ? 'reconnecting' : 'online' });
    else this.out.note(this.out.paint('dim', lost ? 'connection lost; reconnecting...' : 'reconnected'));
  }

  private line(mark: string, style: 'green' | 'yellow' | 'red' | 'dim', text: string): void {
    this.out.line(`${this.out.paint('dim', clock())} ${this.out.paint(style, mark)} ${text}`);
  }
}
