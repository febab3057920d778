/**
 * One MCP server (one MCP session) over the shared Tether participant: the tool table, argument
 * checks, errors as results, and task-augmented calls.
 *
 * Built on the SDK's low-level Server rather than McpServer: McpServer runs a plain call of a
 * task-capable tool through a polling loop (a result up to one poll interval late, no progress,
 * deaf to cancellation), and wants zod schemas, while the tools here are plain JSON Schema checked
 * with ajv like the rest of the project.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { MCP_VERSION, type Participant } from './participant.ts';
import { ReadCursors } from './read-cursors.ts';
import type { TaskBoard } from './task-board.ts';
import { argumentProblem, failureResult, ToolError, type ToolContext, type ToolDef } from './tool.ts';
import { askHuman } from './tools/ask.ts';
import { ackItem, archiveItem, checkInbox, deferItem } from './tools/inbox.ts';
import { postAnswer } from './tools/post.ts';
import { search } from './tools/search.ts';
import { createSession, listSessions, readSession, sendMessage } from './tools/sessions.ts';

export const TOOLS: ToolDef[] = [
  checkInbox,
  listSessions,
  readSession,
  search,
  sendMessage,
  postAnswer,
  askHuman,
  ackItem,
  archiveItem,
  deferItem,
  createSession,
];

export interface ServerDeps {
  participant: Participant;
  tasks: TaskBoard;
  /** Interval of progress notifications while ask_human waits (default 10 s). */
  progressEveryMs?: number;
}

function instructions(principal: string): string {
  return (
    `You take part in Tether (durable sessions between agents and people) as the agent "${principal}". ` +
    'Work waits in your inbox: check_inbox, read the session with read_session (onlyNew: what you have not seen), answer with send_message ' +
    '(post_answer for long answers), ask_human before anything risky, then ack_item (or archive_item / defer_item). ' +
    'create_session starts a session with people; search finds earlier sessions.'
  );
}

export function createMcpServer(deps: ServerDeps): Server {
  const server = new Server(
    { name: 'tether', title: 'Tether', version: MCP_VERSION },
    {
      capabilities: { tools: {}, logging: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
      taskStore: deps.tasks,
      instructions: instructions(deps.participant.principal),
    },
  );
  const reads = new ReadCursors();
  // The Tether connection's ups and downs reach the client's log (filtered by logging/setLevel).
  const offState = deps.participant.client.on('state', (state) => {
    const level = state === 'online' ? 'info' : 'warning';
    void server
      .sendLoggingMessage({ level, logger: 'tether', data: `Tether connection ${state}` }, server.transport?.sessionId)
      .catch(() => {});
  });
  server.onclose = () => offState();
  const byName = new Map(TOOLS.map((t) => [t.listing.name, t]));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS.map((t) => t.listing) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args = {}, task } = request.params;
    const tool = byName.get(name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const ctx: ToolContext = {
      participant: deps.participant,
      reads,
      extra,
      tasks: deps.tasks,
      progressEveryMs: deps.progressEveryMs ?? 10_000,
    };
    const problem = argumentProblem(tool, args);
    if (task) {
      // A task-augmented call is answered with a task or a protocol error, never a plain result.
      if (!tool.startTask || !extra.taskStore)
        throw new McpError(ErrorCode.MethodNotFound, `${name} does not run as a task (execution.taskSupport is forbidden)`);
      if (problem) throw new McpError(ErrorCode.InvalidParams, `invalid arguments for ${name}: ${problem}`);
      return tool.startTask(args, ctx, extra.taskStore, task.ttl);
    }
    // Bad arguments are a tool error the model can correct, not a protocol error.
    if (problem) return failureResult(new ToolError('BAD_ARGUMENTS', problem));
    try {
      return await tool.run(args, ctx);
    } catch (err) {
      return failureResult(err);
    }
  });
  return server;
}
