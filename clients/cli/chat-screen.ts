/**
 * The chat's terminal: complete lines, token streams that grow a line in place, and the input
 * line. On a terminal the prompt is redrawn under the output and hidden while a stream grows (the
 * keys typed meanwhile are kept and shown again with the prompt); on a pipe lines are read as they
 * come and nothing is drawn.
 */
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';

export interface ChatScreen {
  /** A complete line; an open stream line is ended first. */
  line(text: string): void;
  /** Appends to the stream line of `key`, starting a new line with `header` when it is not the open one. */
  stream(key: string, header: string, text: string): void;
  /** Ends the stream line of `key` (with `suffix`) when it is the open one; true when it was. */
  endStream(key: string, suffix?: string): boolean;
  /** The prompt of the input line (terminal only). */
  setPrompt(text: string): void;
  onLine(fn: (line: string) => void): void;
  /** Ctrl-D or the end of stdin. */
  onEnd(fn: () => void): void;
  /** Ctrl-C. */
  onInterrupt(fn: () => void): void;
  close(): void;
}

abstract class LineScreen implements ChatScreen {
  protected openKey?: string;
  protected readonly rl: Interface;
  protected ended = false;

  constructor(
    protected readonly stdout: NodeJS.WriteStream,
    rl: Interface,
  ) {
    this.rl = rl;
  }

  line(text: string): void {
    this.beforeOutput();
    if (this.openKey !== undefined) this.stdout.write('\n');
    this.openKey = undefined;
    this.stdout.write(`${text}\n`);
    this.afterOutput();
  }

  stream(key: string, header: string, text: string): void {
    this.beforeOutput();
    if (this.openKey !== key) {
      if (this.openKey !== undefined) this.stdout.write('\n');
      this.stdout.write(header);
      this.openKey = key;
    }
    this.stdout.write(text);
  }

  endStream(key: string, suffix = ''): boolean {
    if (this.openKey !== key) return false;
    this.beforeOutput();
    this.stdout.write(`${suffix}\n`);
    this.openKey = undefined;
    this.afterOutput();
    return true;
  }

  setPrompt(_text: string): void {}

  onLine(fn: (line: string) => void): void {
    this.rl.on('line', (l) => fn(l));
  }

  onEnd(fn: () => void): void {
    this.rl.on('close', () => {
      if (!this.ended) fn();
    });
  }

  onInterrupt(fn: () => void): void {
    this.rl.on('SIGINT', fn);
  }

  close(): void {
    this.ended = true;
    if (this.openKey !== undefined) this.stdout.write('\n');
    this.openKey = undefined;
    this.rl.close();
  }

  protected beforeOutput(): void {}
  protected afterOutput(): void {}
}

/** stdin is not a terminal: read lines, draw nothing. */
export class PipeScreen extends LineScreen {
  constructor(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout) {
    super(stdout, createInterface({ input: stdin, terminal: false }));
  }
}

/** stdin and stdout are a terminal: a prompt under the output. */
export class TerminalScreen extends LineScreen {
  private shown = false;
  private promptText = '> ';

  constructor(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout) {
    // readline echoes keys through this gate, which passes them on only while the prompt is shown.
    let gateOpen = () => false;
    const gate = new Writable({
      write: (chunk, _enc, cb) => {
        if (gateOpen()) stdout.write(chunk);
        cb();
      },
    });
    Object.defineProperty(gate, 'columns', { get: () => stdout.columns });
    Object.defineProperty(gate, 'rows', { get: () => stdout.rows });
    Object.defineProperty(gate, 'isTTY', { value: true });
    super(stdout, createInterface({ input: stdin, output: gate, terminal: true, prompt: '> ', historySize: 100 }));
    gateOpen = () => this.shown;
    this.rl.on('line', () => {
      // The typed line is shown again as an event of the log, so it is wiped from the screen.
      if (this.shown) this.stdout.write('\x1b[1A\x1b[2K\r');
      this.shown = false;
      queueMicrotask(() => this.afterOutput());
    });
    this.afterOutput();
  }

  override setPrompt(text: string): void {
    if (text === this.promptText || this.ended) return;
    this.promptText = text;
    this.rl.setPrompt(text);
    if (this.shown) this.rl.prompt(true);
  }

  override close(): void {
    this.beforeOutput();
    super.close();
  }

  protected override beforeOutput(): void {
    if (!this.shown) return;
    this.stdout.write('\r\x1b[2K');
    this.shown = false;
  }

  protected override afterOutput(): void {
    if (this.shown || this.openKey !== undefined || this.ended) return;
    this.shown = true;
    this.rl.prompt(true);
  }
}
