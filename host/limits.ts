/** The limits a host enforces unless configured otherwise, and the optional features it advertises. */
import type { Limits } from '../schemas/src/index.ts';

export const DEFAULT_LIMITS: Limits = {
  maxPayloadBytes: 65536,
  maxIdLength: 64,
  commandsPerSecond: 500,
  maxHistoryPage: 1000,
  maxSessionsPerPrincipal: 1000,
  retentionEvents: 0,
  maxMessageBytes: 1048576,
};

/** Optional features of spec/v1/versioning.md this host implements. */
export const HOST_FEATURES = ['history.compact', 'search'];

/** The largest payload the host publishes (an event batch, a reply), with its default [HOST-LIMIT-7]. */
export function maxMessageBytesOf(limits: Limits): number {
  return limits.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes!;
}
