/**
 * Where a command writes: text for people (coloured only on a terminal, never with --json or
 * NO_COLOR) or one JSON object per line for scripts. Errors go to stderr in the same mode.
 */
import type { Failure } from './errors.ts';

const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const;
export type Style = keyof typeof STYLES;

export interface Sink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export class Output {
  readonly color: boolean;

  constructor(
    readonly command: string,
    readonly json: boolean,
    readonly stdout: Sink = process.stdout,
    readonly stderr: Sink = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    // https://no-color.org: any non-empty NO_COLOR turns colour off.
    this.color = !json && stdout.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  }

  paint(style: Style | Style[], text: string): string {
    if (!this.color || text === '') return text;
    const list = Array.isArray(style) ? style : [style];
    return list.reduce((t, s) => `\x1b[${STYLES[s][0]}m${t}\x1b[${STYLES[s][1]}m`, text);
  }

  /** A line of text (text mode). */
  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Text without a newline (a token stream). */
  text(text: string): void {
    this.stdout.write(text);
  }

  /** One JSON object on its own line (--json mode). */
  record(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A remark for people on stderr (progress, hints); nothing in --json mode. */
  note(text: string): void {
    if (!this.json) this.stderr.write(`${text}\n`);
  }

  error(f: Failure, hint?: string): void {
    if (this.json) {
      this.stderr.write(`${JSON.stringify({ error: { exit: f.exit, code: f.code, message: f.message } })}\n`);
      return;
    }
    const colour = this.color && process.stderr.isTTY ? (t: string) => `\x1b[31m${t}\x1b[39m` : (t: string) => t;
    this.stderr.write(`${colour(`tether ${this.command}: ${f.message}`)}\n${hint ? `${hint}\n` : ''}`);
  }
}
