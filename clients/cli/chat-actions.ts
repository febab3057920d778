/**
 * What the person's lines do in `tether chat`: messages, answers, cancel and steer, sent through
 * the joined Session (kept and resent by the library until the host answers). A refusal is shown
 * in the chat and the chat goes on.
 */
import type { Ack, Session } from '../lib/index.ts';
import { CHAT_HELP, type ChatAction } from './chat-input.ts';
import type { ChatView, OpenInputView } from './chat-view.ts';
import { failureOf } from './errors.ts';
import type { Output } from './output.ts';
import { parseValue, showValue } from './value.ts';

export class ChatActions {
  /** Set while the next line is the value of an answer (the prompt flow). */
  answering?: OpenInputView | { requestId: string };
  /** The highest seq the host acknowledged for this chat's commands. */
  lastAckSeq = 0;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly session: Session,
    private readonly view: ChatView,
    private readonly out: Output,
    private readonly quit: () => void,
  ) {}

  /** Resolves when every command sent so far was answered. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  handle(line: string, action: ChatAction): void {
    if (this.answering) {
      const req = this.answering;
      this.answering = undefined;
      if (line.trim() === '') this.view.notice(`not answered: ${req.requestId}`);
      else this.answer(req.requestId, line.trim());
      return;
    }
    switch (action.kind) {
      case 'empty':
        return;
      case 'send':
        this.track('message.send', this.session.send(action.text, { role: 'user' }));
        return;
      case 'answer':
        return this.startAnswer(action.requestId, action.value);
      case 'cancel':
        return this.cancel(action.args);
      case 'steer': {
        const run = this.newestRun();
        this.track('steer', this.session.steer(action.text, run ? { runId: run } : {}));
        return;
      }
      case 'inputs':
        return this.view.listInputs();
      case 'help':
        for (const l of CHAT_HELP) this.view.notice(l, 'dim');
        return;
      case 'quit':
        return this.quit();
      case 'usage':
        return this.view.notice(action.message, 'yellow');
      case 'unknown':
        return this.view.notice(`unknown command ${action.command}; /help lists them (// sends a line starting with /)`, 'yellow');
    }
  }

  private startAnswer(requestId: string | undefined, value: string | undefined): void {
    if (requestId !== undefined && value !== undefined) return this.answer(requestId, value);
    const open = [...this.view.inputs.values()];
    const req = requestId !== undefined ? (this.view.inputs.get(requestId) ?? { requestId }) : open.length === 1 ? open[0] : undefined;
    if (!req) {
      this.view.notice(
        open.length === 0 ? 'no open input requests' : `${open.length} requests are open: /answer ID VALUE (/inputs lists them)`,
        'yellow',
      );
      return;
    }
    this.answering = req;
    const hint = 'answerSchema' in req && req.answerSchema ? `, expected ${schemaHint(req.answerSchema)}` : '';
    this.view.notice(
      `value for ${req.requestId}${'prompt' in req ? ` (${req.prompt})` : ''}: JSON or text${hint}; an empty line does not answer`,
      'yellow',
    );
  }

  private answer(requestId: string, text: string): void {
    const value = parseValue(text);
    // Not presented as the decision: input.resolved in the log is [INPUT-CLIENT-1].
    this.view.notice(`sending ${showValue(value)} for ${requestId}...`);
    this.track('input.answer', this.session.answer(requestId, value));
  }

  private cancel(args: string): void {
    const [first = '', ...rest] = args.split(/\s+/).filter(Boolean);
    const named = this.view.runs.has(first);
    const runId = named ? first : this.newestRun();
    if (!runId) return this.view.notice('no open run to cancel', 'yellow');
    const reason = (named ? rest.join(' ') : args).trim();
    this.track('run.cancel', this.session.cancelRun(runId, reason || undefined));
  }

  private newestRun(): string | undefined {
    return [...this.view.runs.keys()].pop();
  }

  private track(command: string, p: Promise<Ack>): void {
    const done = p.then(
      (ack) => {
        this.lastAckSeq = Math.max(this.lastAckSeq, ack.seq);
        if (this.out.json) this.out.record({ kind: 'ack', command, seq: ack.seq, duplicate: ack.duplicate });
      },
      (err) => {
        const f = failureOf(err);
        if (this.out.json) this.out.record({ kind: 'error', command, code: f.code, exit: f.exit, message: f.message });
        else this.view.notice(`${command} refused: ${f.message}`, 'red');
      },
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }
}

/** A short description of an answer schema: "true or false", "one of a, b", else its JSON. */
function schemaHint(schema: Record<string, unknown>): string {
  if (schema.type === 'boolean') return 'true or false';
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const json = JSON.stringify(schema);
  return json.length > 120 ? `${json.slice(0, 119)}…` : json;
}
