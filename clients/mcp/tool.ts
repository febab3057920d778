/**
 * The shape of one MCP tool of `tether mcp`: its listing (name, description, JSON Schema of the
 * arguments, annotations) and what it does. Arguments are checked against the schema before a tool
 * runs; a bad argument is a tool error the model can read and correct, not a protocol error.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { RequestHandlerExtra, RequestTaskStore } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, CreateTaskResult, ServerNotification, ServerRequest, Tool } from '@modelcontextprotocol/sdk/types.js';
import { TetherError } from '../lib/index.ts';
import { errorResult } from './format.ts';
import type { Participant } from './participant.ts';
import type { ReadCursors } from './read-cursors.ts';
import type { TaskBoard } from './task-board.ts';

export type Args = Record<string, unknown>;
export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ToolContext {
  participant: Participant;
  /** What this MCP session has read of each Tether session. */
  reads: ReadCursors;
  /** The MCP request: its abort signal, progress token and notification channel. */
  extra: Extra;
  /** The process's MCP tasks. */
  tasks: TaskBoard;
  /** Interval of progress notifications while a tool waits on a person. */
  progressEveryMs: number;
}

export interface ToolDef {
  listing: Tool;
  run(args: Args, ctx: ToolContext): Promise<CallToolResult>;
  /** For tools listed with execution.taskSupport 'optional': the task-augmented call. */
  startTask?(args: Args, ctx: ToolContext, tasks: RequestTaskStore, ttl: number | undefined): Promise<CreateTaskResult>;
}

/** A refusal decided by the tool itself (bad combination of arguments, nothing to do). */
export class ToolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A tool's exception as a result the model can read: wire codes and library codes pass through as they are. */
export function failureResult(err: unknown): CallToolResult {
  if (err instanceof TetherError) return errorResult(err.code, err.message, err.sid ? { sid: err.sid } : {});
  if (err instanceof ToolError) return errorResult(err.code, err.message);
  return errorResult('INTERNAL', err instanceof Error ? err.message : String(err));
}

const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** Undefined when the arguments fit the tool's input schema, else a short description of the first problem. */
export function argumentProblem(tool: ToolDef, args: unknown): string | undefined {
  let validate = compiled.get(tool);
  if (!validate) compiled.set(tool, (validate = ajv.compile(tool.listing.inputSchema)));
  if (validate(args)) return undefined;
  const e = validate.errors?.[0];
  if (!e) return 'invalid arguments';
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'arguments';
  const extra =
    e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}

/** JSON Schema helpers for the listings: every argument carries a description for the model. */
export const schema = {
  str: (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra }),
  id: (description: string) => ({ type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description }),
  int: (description: string, minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum, description }),
  bool: (description: string) => ({ type: 'boolean', description }),
  ids: (description: string) => ({
    type: 'array',
    minItems: 1,
    maxItems: 100,
    items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    description,
  }),
  object: (properties: Record<string, object>, required: string[] = []) => ({
    type: 'object' as const,
    properties,
    required,
    additionalProperties: false,
  }),
};
