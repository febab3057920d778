/** What the web app takes from the client library (its browser-safe entry), and a device name. */
import { randomChars } from '../../lib/ids.ts';

export * from '../../lib/index.ts';

/** A device name for a new tab: stable across its reloads (kept in sessionStorage). */
export function randomDevice(): string {
  return `web-${randomChars(6)}`;
}
