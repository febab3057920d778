/**
 * What a command failed with, as an exit code, a stable code word and a message. Library errors
 * (TetherError) are mapped here, in one place, so every command exits the same way for the same
 * failure.
 */
import { LIBRARY_ERROR_CODES, TetherError } from '../lib/index.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    readonly exit: ExitCode,
    /** A wire error code, a library code, or USAGE / TIMEOUT / CANNOT_CONNECT for the CLI's own checks. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(EXIT.USAGE, 'USAGE', message);
  }
}

/** Wire codes that mean "what you named is not there for you". */
const NOT_FOUND_CODES = new Set(['SESSION_NOT_FOUND', 'NOT_PARTICIPANT', 'SUBSCRIBE_REFUSED', 'INPUT_NOT_FOUND', 'INBOX_ITEM_NOT_FOUND']);
const LIBRARY_CODES = new Set<string>(LIBRARY_ERROR_CODES);

export interface Failure {
  exit: ExitCode;
  code: string;
  message: string;
}

/** The exit code, code word and message of any error a command throws. */
export function failureOf(err: unknown): Failure {
  if (err instanceof CliError) return { exit: err.exit, code: err.code, message: err.message };
  if (err instanceof TetherError) {
    const text = err.message;
    if (err.code === 'CONNECT_REFUSED') return { exit: EXIT.AUTH_REFUSED, code: err.code, message: text };
    if (err.code === 'TIMEOUT') return { exit: EXIT.TIMEOUT, code: err.code, message: text };
    if (err.code === 'INVALID_ARGUMENT') return { exit: EXIT.USAGE, code: err.code, message: text };
    if (NOT_FOUND_CODES.has(err.code)) return { exit: EXIT.NOT_FOUND, code: err.code, message: text };
    if (!LIBRARY_CODES.has(err.code)) return { exit: EXIT.REFUSED, code: err.code, message: text };
    return { exit: EXIT.FAILURE, code: err.code, message: text };
  }
  return { exit: EXIT.FAILURE, code: 'FAILURE', message: err instanceof Error ? err.message : String(err) };
}
