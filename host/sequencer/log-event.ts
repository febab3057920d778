/**
 * Events of the log with their data typed by their type. The log holds only events this host
 * decided (sequencer/rules/), so an event of a known type has that type's data.
 */
import type { EventDataOf, EventEnvelope, EventType } from '../../schemas/src/index.ts';

export type LogEventOf<K extends EventType> = EventEnvelope & { type: K; data: EventDataOf<K> };
export type LogEvent = { [K in EventType]: LogEventOf<K> }[EventType];

export function isEventOf<K extends EventType>(e: EventEnvelope, type: K): e is LogEventOf<K> {
  return e.type === type;
}

/** The event as the union of the known types, to switch on its type. */
export function asLogEvent(e: EventEnvelope): LogEvent {
  return e as LogEvent;
}
