/** Identifier generation with the platform's CSPRNG (Web Crypto: Node 20 and every browser). */
import { isId } from '../../protocol/topics.ts';
import { TetherError } from './errors.ts';
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** n random characters from [0-9a-z] (about 5.17 bits each). */
export function randomChars(n: number): string {
  const bytes = new Uint8Array(n);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  // 252 = 7 * 36: rejecting larger bytes keeps the distribution uniform.
  for (let i = 0; i < n; i++) {
    let b = bytes[i];
    while (b >= 252) b = globalThis.crypto.getRandomValues(new Uint8Array(1))[0];
    out += ALPHABET[b % 36];
  }
  return out;
}

/** A new session id with 129 random bits, so sids neither collide nor can be guessed [TOPIC-SID-1]. */
export function newSessionId(): string {
  return `s-${randomChars(25)}`;
}

/** A new message, run or request id. */
export function newId(prefix: string): string {
  return `${prefix}-${randomChars(16)}`;
}

/**
 * Command ids: a random per-client prefix plus a counter, so a client never reuses an id in a
 * session [ENV-ID-1] and ids stay short (a delta is sent tens of times a second).
 */
export class IdSequence {
  private readonly prefix = randomChars(14);
  private counter = 0;

  next(kind = 'c'): string {
    return `${kind}-${this.prefix}-${(++this.counter).toString(36)}`;
  }
}

/** Throws INVALID_ARGUMENT unless value is a protocol id [ID-ALPHABET-1]. */
export function checkId(value: string, what: string): void {
  if (!isId(value))
    throw new TetherError(
      'INVALID_ARGUMENT',
      `invalid ${what} ${JSON.stringify(value)}: ids match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ [ID-ALPHABET-1]`,
    );
}
