import t from 'tap';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema, TaskStatusNotificationSchema, type Task } from '@modelcontextprotocol/sdk/types.js';
import { mcpScene, watch } from './fixtures/mcp-scene.ts';

/** Task statuses as the server reports them in notifications/tasks/status. */
function statusLog(client: Client) {
  const seen: Task[] = [];
  const waiters: { pred: (x: Task) => boolean; resolve: (x: Task) => void }[] = [];
  client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
    seen.push(n.params);
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i].pred(n.params)) waiters.splice(i, 1)[0].resolve(n.params);
  });
  return {
    seen,
    next(taskId: string, status: Task['status'], ms = 15_000): Promise<Task> {
      const pred = (x: Task) => x.taskId === taskId && x.status === status;
      const hit = seen.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`task ${taskId} did not become ${status} within ${ms} ms; seen ${seen.map((x) => x.status).join(' ')}`)),
          ms,
        );
        waiters.push({ pred, resolve: (x) => (clearTimeout(timer), resolve(x)) });
      });
    },
  };
}

t.test('ask_human as an MCP task: input_required while a person is asked, the decision as the task result', async (t) => {
  const scene = await mcpScene(t);
  const alice = await scene.person('alice');
  const mcp = await scene.http('helper');
  const client = await mcp.connect();
  const statuses = statusLog(client);
  const sid = await alice.createSession({ title: 'Ops', participants: [{ principal: 'helper', role: 'agent' }] });
  const w = await watch(alice, sid);
  const startTask = async (args: Record<string, unknown>) =>
    (
      await client.request(
        { method: 'tools/call', params: { name: 'ask_human', arguments: { sid, ...args }, task: { ttl: 60_000 } } },
        CreateTaskResultSchema,
      )
    ).task;

  t.test('the answer of a person completes the task', async (t) => {
    const task = await startTask({
      prompt: 'Approve the failover?',
      answerSchema: { type: 'object', properties: { approve: { type: 'boolean' } }, required: ['approve'] },
      onTimeout: { policy: 'default', value: { approve: false } },
      risk: 'high',
      deadlineSeconds: 60,
    });
    t.equal(task.status, 'working', 'the call returns a task at once');
    t.ok(task.ttl! >= 60_000, 'that outlives the deadline');
    const waiting = await statuses.next(task.taskId, 'input_required');
    t.match(waiting.statusMessage, /^waiting for the people of \S+ to answer "Approve the failover\?"/);
    const polled = await client.experimental.tasks.getTask(task.taskId);
    t.equal(polled.status, 'input_required', 'tasks/get says so too');
    const requested = await w.next((e) => e.type === 'input.requested', 'the input request');
    t.equal(requested.data.risk, 'high');
    await w.session.answer(String(requested.data.requestId), { approve: true });
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    const data = JSON.parse((result.content[0] as { text: string }).text);
    t.same(data.value, { approve: true });
    t.equal(data.outcome, 'answered');
    t.equal(data.by, 'alice');
    await statuses.next(task.taskId, 'completed');
    t.equal((await client.experimental.tasks.getTask(task.taskId)).status, 'completed');
    const { tasks } = await client.experimental.tasks.listTasks();
    t.ok(
      tasks.some((x) => x.taskId === task.taskId),
      'tasks/list has it',
    );
  });

  t.test('the deadline completes the task with the declared default', async (t) => {
    const task = await startTask({ prompt: 'Deploy on Friday?', deadlineSeconds: 5 });
    await statuses.next(task.taskId, 'input_required');
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    const data = JSON.parse((result.content[0] as { text: string }).text);
    t.equal(data.outcome, 'default');
    t.equal(data.value, false, 'a yes/no question says no at the deadline');
    t.equal(data.decidedBy, 'timeout');
  });

  t.test('a cancelled task stops waiting; the question stays open in the session', async (t) => {
    const task = await startTask({ prompt: 'Rotate the keys?', deadlineSeconds: 60 });
    await statuses.next(task.taskId, 'input_required');
    const requested = await w.next((e) => e.type === 'input.requested' && e.data.prompt === 'Rotate the keys?', 'the input request');
    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    t.equal(cancelled.status, 'cancelled');
    const answer = await w.session.answer(String(requested.data.requestId), true);
    t.ok(answer.seq > requested.seq, 'a person may still answer the request');
    t.equal((await client.experimental.tasks.getTask(task.taskId)).status, 'cancelled', 'the task stays cancelled');
  });

  t.test('a task for a session the agent is not in fails with the host error as its result', async (t) => {
    const other = await alice.createSession({ title: 'private' });
    const task = await startTask({ sid: other, prompt: 'Hello?' });
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    t.equal(result.isError, true);
    t.match(JSON.parse((result.content[0] as { text: string }).text).error, /^(NOT_PARTICIPANT|FORBIDDEN)$/);
    t.equal((await client.experimental.tasks.getTask(task.taskId)).status, 'failed');
  });
});
