/** What the client takes from the wire before it routes a message: a JSON object, and batches that hold together. */
import type { EventEnvelope } from '../../schemas/src/index.ts';
import { isEventEnvelope } from './session-feed.ts';

/** A payload parsed from the wire: a JSON object, its fields not checked yet. */
export type JsonObject = Record<string, unknown>;

/**
 * The payload as a JSON object; undefined for an empty payload (a cleared retained message
 * [TOPIC-EMPTY-1]); null for anything else, which is dropped.
 */
export function decodePayload(decoder: TextDecoder, payload: Uint8Array): JsonObject | undefined | null {
  if (payload.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(payload));
  } catch {
    return null;
  }
  return json && typeof json === 'object' && !Array.isArray(json) ? (json as JsonObject) : null;
}

/** The events of a batch for sid, or undefined unless it is whole: v 1, this sid, contiguous seqs [CLIENT-BATCH-1]. */
export function batchEvents(json: JsonObject | undefined, sid: string): EventEnvelope[] | undefined {
  const events = json?.events;
  if (json?.v !== 1 || json.sid !== sid || !Array.isArray(events) || events.length === 0) return undefined;
  const whole = events.every(
    (e, i): e is EventEnvelope => isEventEnvelope(e, sid) && (i === 0 || e.seq === (events[i - 1] as EventEnvelope).seq + 1),
  );
  return whole ? events : undefined;
}
