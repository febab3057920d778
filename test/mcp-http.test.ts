import http from 'node:http';
import t from 'tap';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AgentState } from '../schemas/src/index.ts';
import { callTool, mcpScene } from './fixtures/mcp-scene.ts';

/** A raw HTTP request to the MCP endpoint, for what the SDK client never sends. */
function raw(url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

t.test('tether mcp --http serves Streamable HTTP on a loopback port, one MCP session per client', async (t) => {
  const scene = await mcpScene(t);
  const alice = await scene.person('alice');
  const agents = await alice.watchAgents();
  const mcp = await scene.http('helper');
  const cardStatus = (status: string) =>
    new Promise<AgentState | undefined>((resolve) => {
      if (agents.get('helper')?.status === status) return resolve(agents.get('helper'));
      const timer = setTimeout(() => (off(), resolve(agents.get('helper'))), 10_000);
      const off = agents.on('change', (key, v) => {
        if (key === 'helper' && v?.status === status) {
          clearTimeout(timer);
          off();
          resolve(v);
        }
      });
    });
  const sid = await alice.createSession({ title: 'Shared', participants: [{ principal: 'helper', role: 'agent' }] });
  await alice.command(sid, 'message.send', { msgId: 'm-1', role: 'user', parts: [{ kind: 'text', text: 'hello' }] });

  t.test('it prints a loopback URL with the port it got', async (t) => {
    t.match(mcp.url, /^http:\/\/127\.0\.0\.1:[1-9]\d*\/mcp$/);
  });

  t.test('two MCP clients share the principal but keep their own read cursors', async (t) => {
    const a = await mcp.connect();
    const b = await mcp.connect();
    const first = await callTool(a, 'read_session', { sid, onlyNew: true });
    t.equal(first.data.events.length, 2, 'a never read the session: everything is new');
    t.same((await callTool(a, 'read_session', { sid, onlyNew: true })).data.events, [], 'then nothing is new for a');
    t.equal((await callTool(b, 'read_session', { sid, onlyNew: true })).data.events.length, 2, 'b has its own cursor');
    const sent = await callTool(b, 'send_message', { sid, text: 'from b' });
    t.same(
      (await callTool(a, 'read_session', { sid, onlyNew: true })).data.events,
      [`#${sent.data.seq} helper: from b`],
      'a sees what b sent',
    );
    const inbox = await callTool(a, 'check_inbox', {});
    t.equal(inbox.data.pending, 2, 'both see the one inbox of the principal');
  });

  t.test('requests the endpoint must not serve are refused', async (t) => {
    const foreign = await raw(mcp.url, 'POST', { host: 'attacker.example:80' }, initialize);
    t.equal(foreign.status, 403, 'a foreign Host header (DNS rebinding) is refused');
    const unknown = await raw(
      mcp.url,
      'POST',
      { 'mcp-session-id': 'no-such-session', 'mcp-protocol-version': '2025-11-25' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    );
    t.equal(unknown.status, 404, 'an unknown MCP session');
    const noSession = await raw(mcp.url, 'POST', {}, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
    t.equal(noSession.status, 400, 'anything but initialize needs a session');
    const elsewhere = await raw(mcp.url.replace(/\/mcp$/, '/other'), 'GET', {});
    t.equal(elsewhere.status, 404, 'only /mcp is served');
  });

  t.test('a client that ends its MCP session cannot use it again', async (t) => {
    const c = await mcp.connect();
    const transport = c.transport as StreamableHTTPClientTransport;
    const id = transport.sessionId!;
    t.ok(id, 'the server gave the client a session id');
    await transport.terminateSession();
    const after = await raw(
      mcp.url,
      'POST',
      { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
      { jsonrpc: '2.0', id: 4, method: 'tools/list' },
    );
    t.equal(after.status, 404);
  });

  t.test('the principal is an agent with a card; SIGTERM ends the process cleanly and the card says offline', async (t) => {
    const online = await cardStatus('online');
    t.equal(online?.card.name, 'helper (MCP)');
    t.equal(online?.card.capabilities.inputRequests, true);
    t.equal(await mcp.stop(), 0, 'exit code 0');
    t.equal((await cardStatus('offline'))?.status, 'offline');
  });
});
