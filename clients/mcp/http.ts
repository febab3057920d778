/**
 * `tether mcp --http`: MCP over Streamable HTTP at /mcp. Every MCP session (initialize) gets its own
 * MCP server and read cursors; all of them share the one Tether participant. On a loopback address
 * the Host header is checked, so a web page cannot reach the server by DNS rebinding.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/** Largest request body: post_answer carries up to 1 MB of text, JSON-escaped. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface HttpOptions {
  bind: string;
  port: number;
  /** A new MCP server for a new MCP session. */
  makeServer: () => Server;
  onError?: (err: Error) => void;
}

export interface HttpEndpoint {
  url: string;
  /** MCP sessions open now. */
  readonly sessions: number;
  close(): Promise<void>;
}

interface McpSession {
  transport: StreamableHTTPServerTransport;
  server: Server;
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

export async function serveHttp(opts: HttpOptions): Promise<HttpEndpoint> {
  const sessions = new Map<string, McpSession>();
  let allowedHosts: string[] | undefined;

  const open = async (): Promise<McpSession> => {
    const server = opts.makeServer();
    const s: McpSession = {
      server,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, s),
        onsessionclosed: (id) => {
          sessions.delete(id);
          void server.close().catch(() => {});
        },
        maxRequestBodySize: MAX_BODY_BYTES,
        enableDnsRebindingProtection: allowedHosts !== undefined,
        allowedHosts,
      }),
    };
    s.transport.onerror = (err) => opts.onError?.(err);
    await server.connect(s.transport);
    return s;
  };

  const httpServer = http.createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== '/mcp') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the MCP endpoint is /mcp\n');
        return;
      }
      const id = req.headers['mcp-session-id'];
      if (typeof id === 'string') {
        const s = sessions.get(id);
        if (!s) {
          res
            .writeHead(404, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
          return;
        }
        await s.transport.handleRequest(req, res);
        return;
      }
      // No session yet: only an initialize request opens one; the transport refuses anything else.
      const s = await open();
      await s.transport.handleRequest(req, res);
      if (!s.transport.sessionId) await s.server.close();
    })().catch((err: Error) => {
      opts.onError?.(err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.bind, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as net.AddressInfo).port;
  const hostPart = opts.bind.includes(':') ? `[${opts.bind}]` : opts.bind;
  if (isLoopbackHost(opts.bind)) allowedHosts = [`${hostPart}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];

  return {
    url: `http://${hostPart}:${port}/mcp`,
    get sessions() {
      return sessions.size;
    },
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map((s) => s.server.close().catch(() => {})));
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}
