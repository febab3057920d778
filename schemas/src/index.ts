/** Every top-level schema of protocol v1, by the name of its generated file schemas/v1/{name}.schema.json. */
import type { TSchema } from 'typebox';
import { ErrorCodeSchema } from './common.ts';
import { Command, CommandEnvelope } from './commands.ts';
import { Event, EventBatch, EventEnvelope } from './events.ts';
import { Reply, Request, RequestEnvelope } from './requests.ts';
import { AgentState, HostState, InboxDoorbell, Notification, Presence, Result, SessionIndexEntry, SessionState } from './retained.ts';

export const SCHEMAS = {
  Command,
  CommandEnvelope,
  Event,
  EventEnvelope,
  EventBatch,
  Request,
  RequestEnvelope,
  Reply,
  HostState,
  SessionState,
  SessionIndexEntry,
  Presence,
  AgentState,
  InboxDoorbell,
  Notification,
  Result,
  ErrorCode: ErrorCodeSchema,
} as const satisfies Record<string, TSchema>;

export type SchemaName = keyof typeof SCHEMAS;
export const SCHEMA_NAMES = Object.keys(SCHEMAS) as SchemaName[];

export * from './common.ts';
export * from './commands.ts';
export * from './events.ts';
export * from './requests.ts';
export * from './retained.ts';
