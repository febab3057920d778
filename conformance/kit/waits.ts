/**
 * Named waits. A check never sleeps without saying what for: it waits for a quiet period and then
 * asserts on what arrived meanwhile, polls for a condition, waits past an instant, backs off as it was
 * asked, or gives packets in flight time to land. The durations are the checks' own: timing-sensitive
 * checks have flaked in CI before, so none of them is shortened here.
 */
import type { Received, WirePeer } from '../wire-peer.ts';
import { matchesFilter } from './filters.ts';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * "Nothing more arrives within ms": waits ms, then returns the items of a growing list (a peer's log,
 * an adapter's events, the suite's recording) from index `since` on that match; the check asserts that
 * the result is empty, or inspects it. `since` defaults to the length of the list at the call.
 */
export async function arrivalsWithin<T>(list: readonly T[], match: (item: T) => boolean, ms: number, since = list.length): Promise<T[]> {
  await pause(ms);
  return list.slice(since).filter(match);
}

/** arrivalsWithin for a wire peer: what it received on a topic filter (or matching a predicate) within ms. */
export function expectQuiet(
  peer: WirePeer,
  filter: string | ((m: Received) => boolean),
  ms: number,
  since = peer.log.length,
): Promise<Received[]> {
  const match = typeof filter === 'string' ? (m: Received) => matchesFilter(filter, m.topic) : filter;
  return arrivalsWithin(peer.log, match, ms, since);
}

/**
 * Waits for a publish or a close that a broker may never acknowledge (it may drop the connection of a
 * refused publish), at most ms.
 */
export function settled(p: Promise<unknown>, ms = 300): Promise<unknown> {
  return Promise.race([p.catch(() => {}), pause(ms)]);
}

/** Polls cond every stepMs until it holds or timeoutMs have passed; returns whether it holds. */
export async function eventually(cond: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  for (let waited = 0; !cond(); waited += stepMs) {
    if (waited >= timeoutMs) return false;
    await pause(stepMs);
  }
  return true;
}

/** Waits until a wall-clock instant (ms since 1970: a deadline, the end of a deferral) has passed, then a margin more. */
export function pastInstant(epochMs: number, marginMs = 0): Promise<void> {
  return pause(Math.max(0, epochMs - Date.now()) + marginMs);
}

/** Waits as long as the other side asked (retryAfterMs), or a pacing interval that keeps under a rate. */
export function backOff(ms: number): Promise<void> {
  return pause(ms);
}

/**
 * Gives packets already sent time to land where the check has nothing to observe yet: a PUBACK before a
 * cut, a subscription being installed, an implementation reading what was injected, a token bucket refilling.
 */
export function inFlight(ms: number): Promise<void> {
  return pause(ms);
}
