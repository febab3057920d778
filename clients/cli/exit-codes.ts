/**
 * Exit codes of the terminal client and the shell bridge (`tether sessions`, `chat`, `wait`, ...).
 * Scripts and hooks act on these numbers, so they never change meaning; README.md has the same
 * table and test/cli-exit-code-table.test.ts keeps the two in step.
 */
export const EXIT = {
  /** Done: the command did what it was asked (`wait`: at least one item was printed). */
  OK: 0,
  /** A failure none of the other codes describes (a malformed reply, a lost connection that did not come back). */
  FAILURE: 1,
  /** Bad usage: an unknown flag, a missing or extra argument, a value that is not allowed. */
  USAGE: 2,
  /** The broker could not be reached within --connect-timeout (wrong URL, nothing listening, network down). */
  CANNOT_CONNECT: 3,
  /** The broker refused the connection: wrong password or token, unknown principal, not authorised. */
  AUTH_REFUSED: 4,
  /** What was named does not exist or is not yours: unknown session, not a participant, unknown input request or inbox item. */
  NOT_FOUND: 5,
  /** No answer in time: the host did not reply within --timeout, or `wait` found no item before its --timeout. */
  TIMEOUT: 6,
  /** The host refused the command or request; the wire error code (FORBIDDEN, CONFLICT, ANSWER_INVALID, ...) is printed. */
  REFUSED: 7,
  /** Interrupted by Ctrl-C (SIGINT) where an interruption is not the normal way to end (`wait`, one-shot commands). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
