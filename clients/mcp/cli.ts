/**
 * `tether mcp`: an MCP server that makes the calling agent (Claude Code, Codex, Cursor, any MCP
 * client) a Tether participant under its own principal. Over stdio by default; `--http` serves
 * Streamable HTTP on a loopback port instead and prints its URL.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { parseFlags, usage, type FlagSpec } from '../../common/flags.ts';
import { isId } from '../../protocol/topics.ts';
import { isLoopbackHost, serveHttp } from './http.ts';
import { Participant } from './participant.ts';
import { createMcpServer, type ServerDeps } from './server.ts';
import { TaskBoard } from './task-board.ts';

export const MCP_FLAGS: FlagSpec[] = [
  { flag: 'url', env: 'TETHER_URL', help: 'broker URL (mqtt://, mqtts://, ws://, wss://)', default: 'mqtt://127.0.0.1:1883' },
  { flag: 'user', env: 'TETHER_USER', help: 'the principal this agent acts as (MQTT username)' },
  { flag: 'agent', env: '', help: 'the same as --user' },
  { flag: 'password', env: 'TETHER_PASSWORD', help: 'password or token of the principal' },
  { flag: 'name', env: 'TETHER_MCP_NAME', help: 'name on the agent card (default "{user} (MCP)")' },
  { flag: 'http', env: '', help: 'serve Streamable HTTP at /mcp instead of stdio', boolean: true },
  { flag: 'port', env: 'TETHER_MCP_PORT', help: 'HTTP port with --http (0: any free port)', default: '8765' },
  { flag: 'bind', env: 'TETHER_MCP_BIND', help: 'HTTP address with --http', default: '127.0.0.1' },
  {
    flag: 'progress-seconds',
    env: 'TETHER_MCP_PROGRESS_SECONDS',
    help: 'seconds between progress notifications while ask_human waits',
    default: '10',
  },
  { flag: 'help', env: '', help: 'show this help', boolean: true },
];

class UsageError extends Error {}

function principalOf(values: Record<string, string | boolean | undefined>): string {
  const user = typeof values.user === 'string' ? values.user : undefined;
  const agent = typeof values.agent === 'string' ? values.agent : undefined;
  if (user && agent && user !== agent) throw new UsageError(`--user ${user} and --agent ${agent} name different principals`);
  const principal = agent ?? user;
  if (!principal) throw new UsageError('give the principal: --user NAME (or --agent NAME, or env TETHER_USER)');
  if (!isId(principal)) throw new UsageError(`the principal must be an id (letters, digits, . _ -), got ${JSON.stringify(principal)}`);
  return principal;
}

function number(values: Record<string, string | boolean | undefined>, flag: string, min: number, max: number): number {
  const n = Number(values[flag]);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got ${String(values[flag])}`);
  return n;
}

/** Resolves when the process is asked to stop (signal), or `also` resolves. */
function stopped(also?: Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
    void also?.then(() => resolve());
  });
}

export async function main(argv: string[]): Promise<number | void> {
  let values: Record<string, string | boolean | undefined>;
  let principal: string;
  let port = 0;
  let progressSeconds: number;
  try {
    values = parseFlags(argv, MCP_FLAGS);
    if (values.help) {
      process.stdout.write(
        usage('mcp', 'An MCP server (stdio, or Streamable HTTP with --http) that makes the calling agent a Tether participant.', MCP_FLAGS),
      );
      return 0;
    }
    principal = principalOf(values);
    if (values.http) port = number(values, 'port', 0, 65535);
    progressSeconds = number(values, 'progress-seconds', 1, 3600);
  } catch (err) {
    console.error(`tether mcp: ${(err as Error).message}`);
    return 2;
  }

  let participant: Participant;
  try {
    participant = await Participant.connect({
      url: String(values.url),
      principal,
      password: typeof values.password === 'string' ? values.password : undefined,
      name: typeof values.name === 'string' ? values.name : undefined,
    });
  } catch (err) {
    console.error(`tether mcp: cannot connect to ${String(values.url)} as ${principal}: ${(err as Error).message}`);
    return 3;
  }
  const tasks = new TaskBoard();
  const deps: ServerDeps = { participant, tasks, progressEveryMs: progressSeconds * 1000 };
  // stdout is the protocol channel in stdio mode: everything for people goes to stderr.
  const log = (msg: string) => process.stderr.write(`tether mcp: ${msg}\n`);

  try {
    if (values.http) {
      const bind = String(values.bind);
      const endpoint = await serveHttp({
        bind,
        port,
        makeServer: () => createMcpServer(deps),
        onError: (err) => log(`http: ${err.message}`),
      });
      if (!isLoopbackHost(bind))
        log(
          `warning: ${bind} is not a loopback address and the MCP endpoint has no authentication; anyone who reaches it acts as ${principal}`,
        );
      console.log(`tether mcp: ${principal} at ${String(values.url)}, MCP endpoint ${endpoint.url}`);
      await stopped();
      await endpoint.close();
    } else {
      const server = createMcpServer(deps);
      const closed = new Promise<void>((resolve) => {
        const onclose = server.onclose;
        server.onclose = () => {
          onclose?.();
          resolve();
        };
        process.stdin.once('end', () => resolve());
      });
      await server.connect(new StdioServerTransport());
      log(`${principal} at ${String(values.url)}, MCP over stdio`);
      await stopped(closed);
      await server.close().catch(() => {});
    }
  } finally {
    tasks.close();
    await participant.close();
  }
}
