import t from 'tap';
import type { Test } from 'tap';
import type { TetherClient } from '../clients/lib/node.ts';
import { callTool, mcpScene, watch, type McpScene } from './fixtures/mcp-scene.ts';

const TOOL_NAMES = [
  'check_inbox',
  'list_sessions',
  'read_session',
  'search',
  'send_message',
  'post_answer',
  'ask_human',
  'ack_item',
  'archive_item',
  'defer_item',
  'create_session',
];

t.test('an MCP client agent works in Tether sessions as its own principal, over stdio and over HTTP', async (t) => {
  const scene = await mcpScene(t);
  const alice = await scene.person('alice');
  const bob = await scene.person('bob');
  for (const transport of ['stdio', 'http'] as const) t.test(`over ${transport}`, (t) => suite(t, scene, alice, bob, transport));
});

async function suite(t: Test, scene: McpScene, alice: TetherClient, bob: TetherClient, transport: 'stdio' | 'http'): Promise<void> {
  const helper = `helper-${transport}`;
  const stdio = transport === 'stdio' ? await scene.stdio(helper) : undefined;
  const client = stdio ? stdio.client : await (await scene.http(helper)).connect();
  const call = (name: string, args: Record<string, unknown> = {}) => callTool(client, name, args);

  const sid = await alice.createSession({ title: 'Incident 4711', participants: [{ principal: helper, role: 'agent' }] });
  const w = await watch(alice, sid);
  const asked = await w.session.send('Please summarise the incident report.');

  t.test('the tools are listed with schemas, and ask_human may run as a task', async (t) => {
    const { tools } = await client.listTools();
    t.same(tools.map((x) => x.name).sort(), [...TOOL_NAMES].sort());
    for (const tool of tools) {
      t.equal(tool.inputSchema.type, 'object', `${tool.name} takes an object`);
      t.ok(tool.description && tool.description.length > 20, `${tool.name} says what it does`);
    }
    t.equal(tools.find((x) => x.name === 'ask_human')?.execution?.taskSupport, 'optional');
    t.equal(tools.find((x) => x.name === 'read_session')?.annotations?.readOnlyHint, true);
    t.ok(client.getServerCapabilities()?.tasks?.requests?.tools?.call, 'the server offers tool calls as tasks');
    t.match(client.getInstructions() ?? '', `"${helper}"`, 'the instructions name the principal');
    t.ok(client.getServerCapabilities()?.logging, 'it logs the Tether connection state to the client');
    await client.setLoggingLevel('warning');
  });

  t.test('check_inbox lists the session assignment and the message, newest last', async (t) => {
    const r = await call('check_inbox');
    t.notOk(r.isError, r.text);
    t.equal(r.data.pending, 2);
    t.match(r.data.items[0], new RegExp(`^\\S+ ${sid}#1 session.assigned `));
    t.match(r.data.items[1], new RegExp(`${sid}#${asked.seq} message .*Please summarise`));
  });

  t.test('read_session shows the latest events as compact lines, then only what is new', async (t) => {
    const r = await call('read_session', { sid });
    t.notOk(r.isError, r.text);
    t.match(r.data.events[0], new RegExp(`^#1 alice created the session "Incident 4711" with alice\\(owner\\), ${helper}\\(agent\\)`));
    t.match(r.data.events[1], new RegExp(`^#${asked.seq} alice: Please summarise the incident report.$`));
    t.equal(r.data.more, false);
    const none = await call('read_session', { sid, onlyNew: true });
    t.same(none.data.events, [], 'nothing new after a read');
    const later = await w.session.send('Also: who was on call?');
    const fresh = await call('read_session', { sid, onlyNew: true });
    t.same(fresh.data.events, [`#${later.seq} alice: Also: who was on call?`], 'only the new message');
    const page = await call('read_session', { sid, after: 0, limit: 1 });
    t.equal(page.data.events.length, 1);
    t.equal(page.data.more, true);
    t.same(page.data.next, { sid, after: 1 }, 'a page says where the next one starts');
  });

  t.test('a long text is clipped and says how much it left out', async (t) => {
    const long = await w.session.send(`LOG ${'x'.repeat(3000)}`);
    const r = await call('read_session', { sid, after: long.seq - 1, limit: 1, maxChars: 100 });
    t.match(r.data.events[0], /^#\d+ alice: LOG x+… \[\+2904 chars\]$/);
    t.match(r.data.clipped, /1 texts were clipped to 100 chars/);
    const whole = await call('read_session', { sid, after: long.seq - 1, limit: 1, maxChars: 20_000 });
    t.equal(whole.data.events[0].length, `#${long.seq} alice: LOG `.length + 3000, 'a larger maxChars gives it whole');
  });

  t.test('send_message posts a message as the agent', async (t) => {
    const r = await call('send_message', { sid, text: 'On it.', replyToSeq: asked.seq });
    t.notOk(r.isError, r.text);
    const e = await w.next((e) => e.type === 'message' && e.sender === helper, 'the message');
    t.equal(e.seq, r.data.seq);
    t.same(e.data, { msgId: r.data.msgId, role: 'agent', parts: [{ kind: 'text', text: 'On it.' }], replyToSeq: asked.seq });
  });

  t.test('post_answer streams a long answer: people see deltas arrive, then the whole text', async (t) => {
    const text = Array.from({ length: 40 }, (_, i) => `Paragraph ${i}: ${'the database failed over. '.repeat(4)}`).join('\n\n');
    const r = await call('post_answer', { sid, text });
    t.notOk(r.isError, r.text);
    const done = await w.next((e) => e.type === 'message.completed' && e.data.msgId === r.data.msgId, 'the completed answer');
    const deltas = w.of('message.delta').filter((e) => e.data.msgId === r.data.msgId);
    t.ok(deltas.length >= 10, `the answer went out in pieces (${deltas.length} deltas)`);
    t.ok(
      deltas.every((d) => d.seq < done.seq),
      'every piece before the completion',
    );
    t.equal(deltas.map((d) => d.data.text).join(''), text, 'the pieces are the text, in order');
    t.same(done.data.parts, [{ kind: 'text', text }]);
    t.equal(r.data.chunks, deltas.length);
    t.equal(w.of('message.started').find((e) => e.data.msgId === r.data.msgId)?.data.role, 'agent');
  });

  t.test('inbox items are acked, archived with a reason and deferred', async (t) => {
    const before = await call('check_inbox');
    const ids = (before.data.items as string[]).map((line) => line.split(' ')[0]);
    t.ok(ids.length >= 3, 'the later messages are in the inbox too');
    t.same((await call('ack_item', { itemIds: [ids[0]] })).data, { affected: 1 });
    t.same((await call('ack_item', { itemIds: [ids[0]] })).data, { affected: 0 }, 'acking again changes nothing');
    t.same((await call('archive_item', { itemIds: [ids[1]], reason: 'answered with On it.' })).data, { affected: 1 });
    const deferred = await call('defer_item', { itemIds: [ids[2]], minutes: 60 });
    t.equal(deferred.data.affected, 1);
    t.ok(Date.parse(deferred.data.until) > Date.now() + 59 * 60_000, 'deferred by an hour');
    const after = await call('check_inbox');
    t.equal(after.data.pending, before.data.pending - 3);
    t.notOk(
      (after.data.items as string[]).some((line) => ids.slice(0, 3).includes(line.split(' ')[0])),
      'none of them is pending',
    );
    const both = await call('defer_item', { itemIds: [ids[3] ?? ids[0]], minutes: 5, until: '2030-01-01T00:00:00Z' });
    t.ok(both.isError);
    t.equal(both.data.error, 'BAD_ARGUMENTS');
    const unknown = await call('ack_item', { itemIds: ['ib-nope'] });
    t.ok(unknown.isError);
    t.equal(unknown.data.error, 'INBOX_ITEM_NOT_FOUND', 'a wire error keeps its code');
  });

  t.test('create_session starts a session with people, who find it in their index', async (t) => {
    const r = await call('create_session', {
      title: 'Post-mortem 4711',
      participants: [{ principal: 'bob' }, { principal: 'alice', role: 'approver' }],
      text: 'Draft is ready.',
    });
    t.notOk(r.isError, r.text);
    t.same(r.data.participants, ['bob(member)', 'alice(approver)']);
    const mine = await bob.listSessions();
    const entry = mine.find((s) => s.sid === r.data.sid);
    t.ok(entry, 'bob has the session in his index');
    t.equal(entry?.role, 'member');
    t.equal(entry?.createdBy, helper);
    const page = await bob.history(r.data.sid, { after: 0 });
    t.same(page.events[0].data.participants, [
      { principal: helper, role: 'owner' },
      { principal: 'bob', role: 'member' },
      { principal: 'alice', role: 'approver' },
    ]);
    t.equal(page.events[1].seq, r.data.messageSeq);
    t.same(page.events[1].data.parts, [{ kind: 'text', text: 'Draft is ready.' }]);
    const list = await call('list_sessions', { status: 'open' });
    t.ok((list.data.sessions as string[]).some((line) => line.startsWith(`${r.data.sid} owner open`) && line.endsWith('Post-mortem 4711')));
  });

  t.test('search answers with hits from the host', async (t) => {
    const r = await call('search', { query: 'incident' });
    t.notOk(r.isError, 'the reference host offers search');
    t.ok(
      (r.data.hits as string[]).some((h) => h.startsWith(`${sid}#${asked.seq} alice: Please summarise the incident report.`)),
      'a hit in the session, with its seq, sender and text',
    );
  });

  t.test('mistakes are results the model can read', async (t) => {
    const bad = await call('read_session', { after: 1 });
    t.ok(bad.isError);
    t.equal(bad.data.error, 'BAD_ARGUMENTS');
    t.match(bad.data.message, /sid/);
    const other = await bob.createSession({ title: 'private' });
    const refused = await call('read_session', { sid: other });
    t.ok(refused.isError);
    t.match(refused.data.error, /^(NOT_PARTICIPANT|FORBIDDEN)$/);
    await t.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), { code: -32602 }, 'an unknown tool is a protocol error');
    await t.rejects(
      client.request(
        { method: 'tools/call', params: { name: 'read_session', arguments: { sid }, task: { ttl: 60_000 } } },
        (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema,
      ),
      { code: -32601 },
      'a tool without task support refuses a task-augmented call',
    );
  });

  if (stdio) {
    t.test('the stdio server exits by itself when its client closes stdin', async (t) => {
      const pid = stdio.transport.pid!;
      const started = Date.now();
      await client.close();
      // The SDK client sends SIGTERM only after waiting 2 s for the exit.
      t.ok(Date.now() - started < 2000, `exited within ${Date.now() - started} ms`);
      t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the process is gone');
    });
  }
}
