/**
 * The suite's side of the adapter protocol (conformance/ADAPTER.md): starts the implementation under
 * test with `sh -c COMMAND`, writes one JSON op per line to its stdin and reads one JSON event per line
 * from its stdout. Anything on stdout that is not a JSON object is kept as a protocol violation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Part, SessionState } from '../../schemas/src/index.ts';
import type { Observed, ObservedEvent } from '../kit/observed.ts';

/** The fields of the events of ADAPTER.md (every one optional: the implementation under test writes them). */
interface Reported {
  implementation: string;
  profiles: string[];
  features: string[];
  sid: string;
  seq: number;
  type: string;
  sender: string;
  cid: string;
  understood: boolean;
  atSeq: number;
  state: SessionState;
  reason: string;
  msgId: string;
  parts: Part[];
  status: string;
  requestId: string;
  outcome: string;
  value: unknown;
  by: string;
  decidedBy: string;
  hostId: string;
  epoch: number;
  lastSeq: number;
  runId: string;
  steerSeq: number;
  text: string;
  op: string;
  ref: string;
  code: string;
  message: string;
  local: boolean;
  kind: string;
  k: string;
  t: string;
}

/** One line the implementation wrote: a JSON object with a string `event`, read as observed. */
export type AdapterEvent = Observed<Reported> & {
  event: string;
  /** The event's data (for delivered: the data of the event handed to the application). */
  data?: ObservedEvent['data'];
  /** performance.now() when the line arrived. */
  at: number;
};

/** An op of ADAPTER.md, as the suite writes it. */
export type AdapterOp = { op: string; ref?: string } & Record<string, unknown>;

export class AdapterTimeout extends Error {
  override name = 'AdapterTimeout';
}

export class AdapterProcess {
  readonly events: AdapterEvent[] = [];
  readonly garbage: string[] = [];
  stderr = '';
  private waiters: { pred: (e: AdapterEvent) => boolean; resolve: (e: AdapterEvent) => void }[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(command: string, env: Record<string, string>) {
    this.child = spawn('sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
    let buf = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) this.onLine(line);
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
      if (this.stderr.length > 20000) this.stderr = this.stderr.slice(-20000);
    });
    this.child.stdin!.on('error', () => {});
  }

  private onLine(line: string): void {
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      this.garbage.push(line);
      return;
    }
    if (!e || typeof e !== 'object' || typeof (e as { event?: unknown }).event !== 'string') {
      this.garbage.push(line);
      return;
    }
    const ev = { ...e, at: performance.now() } as AdapterEvent;
    this.events.push(ev);
    for (const w of this.waiters.slice()) {
      if (w.pred(ev)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(ev);
      }
    }
  }

  send(op: AdapterOp): void {
    this.child.stdin!.write(JSON.stringify(op) + '\n');
  }

  /** The first event (already seen or future) matching pred. */
  waitFor(pred: (e: AdapterEvent) => boolean, what: string, timeoutMs = 8000, since = 0): Promise<AdapterEvent> {
    const seen = this.events.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (e: AdapterEvent) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        const tail = this.stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new AdapterTimeout(`the implementation did not report ${what} within ${timeoutMs} ms${tail ? ` (stderr: ${tail})` : ''}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Sends an op and waits for the event that answers it (or an error event for that op). */
  async call(op: AdapterOp, pred: (e: AdapterEvent) => boolean, what: string, timeoutMs = 8000): Promise<AdapterEvent> {
    const since = this.events.length;
    this.send(op);
    return this.waitFor(
      (e) => pred(e) || (e.event === 'error' && e.op === op.op && (e.ref === undefined || e.ref === op.ref)),
      what,
      timeoutMs,
      since,
    );
  }

  delivered(sid: string): AdapterEvent[] {
    return this.events.filter((e) => e.event === 'delivered' && e.sid === sid);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Asks the implementation to close, then kills it if it does not exit in time. */
  async close(graceMs = 2000): Promise<number | null> {
    if (this.running) {
      this.send({ op: 'close' });
      this.child.stdin!.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const code = await this.exited;
      clearTimeout(timer);
      return code;
    }
    return this.child.exitCode;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}
