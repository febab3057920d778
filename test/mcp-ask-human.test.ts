import t from 'tap';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { callTool, mcpScene, watch } from './fixtures/mcp-scene.ts';

t.test('ask_human over a plain tool call blocks until a person or the deadline decides', async (t) => {
  const scene = await mcpScene(t);
  const alice = await scene.person('alice');
  const { client } = await scene.stdio('helper', ['--progress-seconds', '1']);
  const sid = await alice.createSession({ title: 'Ops', participants: [{ principal: 'helper', role: 'agent' }] });
  const w = await watch(alice, sid);

  t.test('a person answers: the result is the decision from input.resolved, with progress while waiting', async (t) => {
    const progress: Progress[] = [];
    let firstProgress!: () => void;
    const progressed = new Promise<void>((r) => (firstProgress = r));
    const call = callTool(
      client,
      'ask_human',
      { sid, prompt: 'May I restart the primary database?', risk: 'high', deadlineSeconds: 60 },
      {
        onprogress: (p) => {
          progress.push(p);
          firstProgress();
        },
      },
    );
    const requested = await w.next((e) => e.type === 'input.requested', 'the input request');
    t.equal(requested.sender, 'helper');
    t.same(requested.data.answerSchema, { type: 'boolean' }, 'a yes/no question by default');
    t.same(requested.data.onTimeout, { policy: 'default', value: false }, 'which says no at the deadline');
    t.equal(requested.data.risk, 'high');
    const deadline = Date.parse(String(requested.data.deadline));
    t.ok(deadline > Date.now() + 50_000 && deadline <= Date.now() + 60_000, 'the deadline is a minute ahead');
    await progressed;
    t.match(
      progress[0].message,
      /^waiting for the people of \S+ to answer "May I restart the primary database\?" \(request \S+, deadline \S+, then false\)$/,
    );
    t.equal(progress[0].total, 60);
    await w.session.answer(String(requested.data.requestId), true);
    const r = await call;
    t.notOk(r.isError, r.text);
    const resolved = await w.next((e) => e.type === 'input.resolved', 'the resolution');
    t.same(r.data, {
      sid,
      requestId: requested.data.requestId,
      outcome: 'answered',
      decidedBy: 'person',
      by: 'alice',
      seq: resolved.seq,
      value: true,
    });
  });

  t.test('at the deadline the host decides: the declared default, a failure, or the request stays open', async (t) => {
    const counts: number[][] = [[], [], []];
    const ask = (i: number, args: Record<string, unknown>) =>
      callTool(client, 'ask_human', { sid, deadlineSeconds: 5, ...args }, { onprogress: (p) => counts[i].push(p.progress) });
    const started = Date.now();
    const [byDefault, failed, open] = await Promise.all([
      ask(0, {
        prompt: 'Which plan, a or b?',
        answerSchema: { type: 'string', enum: ['a', 'b'] },
        onTimeout: { policy: 'default', value: 'b' },
      }),
      ask(1, { prompt: 'What should the release be called?', answerSchema: { type: 'string' } }),
      ask(2, { prompt: 'Anything else?', answerSchema: { type: 'string' }, onTimeout: { policy: 'wait' } }),
    ]);
    t.ok(Date.now() - started >= 4500, 'nothing returned before the deadline');
    t.equal(byDefault.data.outcome, 'default');
    t.equal(byDefault.data.value, 'b');
    t.equal(byDefault.data.decidedBy, 'timeout');
    t.equal(byDefault.data.by, '@host');
    t.equal(failed.data.outcome, 'failed', 'a question without a yes/no answer and without onTimeout fails at the deadline');
    t.equal(failed.data.decidedBy, 'timeout');
    t.equal(open.data.outcome, 'no answer');
    t.match(open.data.note, /stays open/);
    for (const c of counts) {
      t.ok(c.length >= 3, `progress while waiting (${c.length} notifications)`);
      t.ok(
        c.every((p, i) => i === 0 || p > c[i - 1]),
        'progress only grows',
      );
    }
    const timeouts = w.of('input.resolved').filter((e) => e.sender === '@host');
    t.same(
      timeouts.map((e) => e.data.requestId).sort(),
      [byDefault.data.requestId, failed.data.requestId].sort(),
      'the host resolved the default and the fail question',
    );

    // The open question can still be answered; the answer reaches the agent's inbox.
    await w.session.answer(open.data.requestId, 'ship it');
    const resolved = await w.next((e) => e.type === 'input.resolved' && e.data.requestId === open.data.requestId, 'the late answer');
    const inbox = await callTool(client, 'check_inbox', {});
    t.ok(
      (inbox.data.items as string[]).some((line) => line.includes(`${sid}#${resolved.seq} input.resolved`)),
      'the late answer is an inbox item',
    );
  });

  t.test('a default answer that does not fit the answer schema comes back as a readable error', async (t) => {
    const r = await callTool(client, 'ask_human', {
      sid,
      prompt: 'Yes?',
      answerSchema: { type: 'boolean' },
      onTimeout: { policy: 'default', value: 'maybe' },
    });
    t.ok(r.isError);
    t.equal(r.data.error, 'SCHEMA_INVALID', 'a default that does not fit the answer schema is refused by the host');
  });
});
