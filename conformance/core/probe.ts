/**
 * The assertion recorder handed to each check. Every assertion names the requirement ID it tests, so
 * results and evidence are reported per ID; asserting an ID the check does not declare is a bug in
 * the check and fails it loudly.
 */
import { isDeepStrictEqual } from 'node:util';
import { excerpt, type Evidence } from './evidence.ts';
import type { ObservedReply } from '../kit/observed.ts';

export interface Assertion {
  id: string;
  ok: boolean;
  expectation: string;
  evidence?: Evidence;
}

/** Thrown when a prerequisite of the check is missing: a failure with a reason, never a skip. */
export class NotTestable extends Error {
  override name = 'NotTestable';
}

/** Thrown to skip a check; only allowed for an optional feature the implementation does not advertise. */
export class Skip extends Error {
  override name = 'Skip';
}

export class Probe {
  readonly assertions: Assertion[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly checkId: string,
    readonly covers: readonly string[],
  ) {}

  private own(id: string): void {
    if (!this.covers.includes(id)) throw new Error(`check ${this.checkId} asserted ${id}, which its metadata does not cover`);
  }

  /** Records one assertion; returns ok so checks can branch on it. */
  expect(id: string, ok: boolean, expectation: string, evidence?: Evidence): boolean {
    this.own(id);
    this.assertions.push(evidence ? { id, ok, expectation, evidence } : { id, ok, expectation });
    return ok;
  }

  equal(id: string, actual: unknown, expected: unknown, expectation: string, evidence: Evidence = {}): boolean {
    const ok = isDeepStrictEqual(actual, expected);
    return this.expect(id, ok, expectation, ok ? evidence : { expected: excerpt(expected), actual: excerpt(actual), ...evidence });
  }

  /** The reply is an error with this code. */
  errorCode(id: string, received: unknown, code: string, what: string, topic?: string): boolean {
    const reply = received as ObservedReply | undefined;
    const ok = reply?.type === 'error' && reply?.data?.code === code;
    return this.expect(id, ok, `${what} is refused with ${code}`, { topic, payload: excerpt(reply), expected: `error ${code}` });
  }

  /** The reply is an ack (duplicate false unless stated). */
  acked(id: string, received: unknown, what: string, topic?: string): boolean {
    const reply = received as ObservedReply | undefined;
    const ok = reply?.type === 'ack' && reply?.data?.duplicate === false && Number.isInteger(reply?.data?.seq);
    return this.expect(id, ok, `${what} is accepted with an ack`, { topic, payload: excerpt(reply), expected: 'ack with duplicate:false' });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  notTestable(reason: string): never {
    throw new NotTestable(reason);
  }

  skip(reason: string): never {
    throw new Skip(reason);
  }

  /** A prerequisite step: any failure inside becomes "Not testable: <what>: <error>". */
  async need<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof NotTestable || err instanceof Skip) throw err;
      throw new NotTestable(`${what}: ${(err as Error).message}`);
    }
  }
}
