import t from 'tap';
import { agentScene, completedText } from './fixtures/agent-scene.ts';
import { lastUserText, type Reply } from './fixtures/llm-server.ts';

/** Replies keyed on the person's words, so that one agent serves every case of this file. */
function script(body: Parameters<typeof lastUserText>[0]): Reply {
  const last = body.messages[body.messages.length - 1];
  const user = lastUserText(body);
  if (last.role === 'tool') return { chunks: ['Noted: ', String(last.content).slice(0, 60)] };
  if (/^LONG/.test(user)) return { chunks: Array.from({ length: 150 }, (_, i) => `tok${i} `), delayMs: 20 };
  if (/^MEDIUM/.test(user)) return { chunks: Array.from({ length: 30 }, (_, i) => `m${i} `), delayMs: 20 };
  if (/^ASK-YES/.test(user))
    return {
      toolCalls: [{ name: 'ask_human', arguments: { prompt: 'May I deploy?', answer: 'boolean', risk: 'high', deadlineSeconds: 60 } }],
    };
  if (/^ASK-TIMEOUT/.test(user))
    return {
      toolCalls: [
        { name: 'ask_human', arguments: { prompt: 'May I wipe the disk?', answer: 'boolean', risk: 'high', deadlineSeconds: 1 } },
      ],
    };
  if (/^FIND /.test(user)) return { toolCalls: [{ name: 'search', arguments: { query: user.slice(5) } }] };
  if (/irrelevant/.test(user)) {
    const earlier = body.messages
      .filter((m) => m.role === 'user')
      .map((m) => /^\[#(\d+) alice\] SECRET/.exec(String(m.content)))
      .find(Boolean);
    return { toolCalls: [{ name: 'archive', arguments: { seq: Number(earlier?.[1]), reason: 'alice said it is irrelevant' } }] };
  }
  return { chunks: ['Tether ', 'keeps ', 'sessions ', 'durable.'], delayMs: 5 };
}

t.test('the reference agent against a local OpenAI-compatible endpoint', async (t) => {
  const scene = await agentScene(t);
  scene.llm.respond = script;
  await scene.startAgent('assistant');

  t.test('a message gets a streamed answer in a run, with a context manifest', async (t) => {
    const s = await scene.session('assistant');
    const sent = await s.session.send('Hello, what is Tether?');
    const done = await s.next((e) => e.type === 'run.finished', 15_000, 'run.finished');
    t.equal(done.data.status, 'completed');
    const completed = s.of('message.completed');
    t.equal(completed.length, 1, 'one streamed message');
    t.equal(completedText(completed[0]), 'Tether keeps sessions durable.', 'the completed text is what the endpoint streamed');
    t.equal(
      s
        .of('message.delta')
        .map((e) => e.data.text)
        .join(''),
      'Tether keeps sessions durable.',
      'the deltas carry it token by token',
    );
    const req = scene.llm.requests.find((r) => r.body.messages.some((m) => String(m.content).includes('Hello, what is Tether?')))!;
    t.ok(req, 'the endpoint got the message');
    t.equal(req.body.model, 'test-model');
    t.equal(req.body.stream, true);
    t.match(String(req.body.messages[0].content), /Tether reference agent/, 'the system prompt comes first');
    t.ok(
      (req.body.tools as { function: { name: string } }[]).some((x) => x.function.name === 'ask_human'),
      'tools are offered',
    );
    const manifest = s
      .of('message')
      .find((e) => (e.data.parts as { kind: string; value?: { type?: string } }[])[0].value?.type === 'tether.context.manifest');
    t.ok(manifest, 'a context manifest is in the log');
    const m = (
      manifest!.data.parts as { value: { included: { from: number; to: number }[]; usedTokens: number; budgetTokens: number } }[]
    )[0].value;
    t.ok(
      m.included.some((r) => r.from <= sent.seq && sent.seq <= r.to),
      'the manifest lists the message as included',
    );
    t.ok(m.usedTokens > 0 && m.usedTokens <= m.budgetTokens, 'and counts tokens within the budget');
  });

  t.test('a cancel mid-stream aborts the model request and ends the run cancelled', async (t) => {
    const s = await scene.session('assistant');
    await s.session.send('LONG answer please');
    const started = await s.next((e) => e.type === 'run.started');
    await s.next((e) => e.type === 'message.delta');
    const n = scene.llm.requests.length;
    const req = scene.llm.requests[n - 1];
    const cancel = await s.session.cancelRun(String(started.data.runId), 'enough');
    const finished = await s.next((e) => e.type === 'run.finished');
    t.equal(finished.data.status, 'cancelled');
    t.match(String(finished.data.summary), new RegExp(`cancelled at #${cancel.seq}`), 'the run says at which seq the cancel applied');
    await req.done;
    t.ok(req.aborted, 'the endpoint saw the connection close before the stream ended');
    t.equal(
      (await s.next((e) => e.type === 'message.completed')).data.status,
      'cancelled',
      'the partial message is completed as cancelled',
    );
  });

  t.test('a steer mid-run reaches the next model call, without the steer it superseded', async (t) => {
    const s = await scene.session('assistant');
    await s.session.send('LONG story');
    const started = await s.next((e) => e.type === 'run.started');
    await s.next((e) => e.type === 'message.delta');
    const before = scene.llm.requests.length;
    const runId = String(started.data.runId);
    await Promise.all([
      s.session.steer('STEER-ONE make it about cats', { runId }),
      s.session.steer('STEER-TWO make it about dogs', { runId }),
    ]);
    const next = await scene.llm.nthRequest(before + 1);
    const text = JSON.stringify(next.body.messages);
    t.match(text, /STEER-TWO/, 'the next request has the steer');
    t.notMatch(text, /STEER-ONE/, 'and not the superseded one');
    const applied = await s.next((e) => e.type === 'steer.applied');
    t.equal(applied.data.steerSeq, s.of('steer')[1].seq, 'the agent confirms the steer it applied');
    await s.session.cancelRun(runId);
    await s.next((e) => e.type === 'run.finished');
  });

  t.test('double texting: interrupt (the default) ends the run and answers both messages', async (t) => {
    const s = await scene.session('assistant');
    await s.session.send('LONG first');
    await s.next((e) => e.type === 'message.delta');
    const second = await s.session.send('second message');
    const first = await s.next((e) => e.type === 'run.finished');
    t.equal(first.data.status, 'cancelled');
    t.match(String(first.data.summary), new RegExp(`interrupted by message #${second.seq}`));
    const runs = await s.next((e) => e.type === 'run.finished' && e.seq > first.seq);
    t.equal(runs.data.status, 'completed', 'a new run answers');
    const last = scene.llm.requests[scene.llm.requests.length - 1];
    t.match(JSON.stringify(last.body.messages), /second message/, 'with the new message in its context');
  });

  t.test('double texting: enqueue finishes the run, then answers the new message', async (t) => {
    const s = await scene.session('assistant', { doubleTexting: 'enqueue' });
    await s.session.send('MEDIUM first');
    await s.next((e) => e.type === 'message.delta');
    await s.session.send('queued message');
    const first = await s.next((e) => e.type === 'run.finished');
    t.equal(first.data.status, 'completed', 'the first run is not interrupted');
    const second = await s.next((e) => e.type === 'run.finished' && e.seq > first.seq);
    t.equal(second.data.status, 'completed');
    t.equal(s.of('run.started').length, 2, 'two runs');
  });

  t.test('double texting: reject answers that the message was not taken and leaves it out', async (t) => {
    const s = await scene.session('assistant', { doubleTexting: 'reject' });
    await s.session.send('MEDIUM first');
    await s.next((e) => e.type === 'message.delta');
    const rejected = await s.session.send('REJECTED-TEXT');
    const first = await s.next((e) => e.type === 'run.finished');
    t.equal(first.data.status, 'completed');
    const note = await s.next((e) => e.type === 'message' && e.sender === 'assistant' && /was not taken/.test(JSON.stringify(e.data)));
    t.match(JSON.stringify(note.data), new RegExp(`#${rejected.seq}`));
    await s.session.send('after the run');
    const second = await s.next((e) => e.type === 'run.finished' && e.seq > first.seq);
    t.equal(second.data.status, 'completed');
    t.equal(s.of('run.started').length, 2, 'the rejected message started no run');
    const last = scene.llm.requests[scene.llm.requests.length - 1];
    t.notMatch(JSON.stringify(last.body.messages), /REJECTED-TEXT/, 'the rejected message is not in a later context');
  });

  t.test('ask_human answered in time: the decision is in the log and reaches the model', async (t) => {
    const s = await scene.session('assistant');
    await s.session.send('ASK-YES deploy');
    const asked = await s.next((e) => e.type === 'input.requested');
    t.equal(asked.data.risk, 'high');
    t.same(asked.data.onTimeout, { policy: 'default', value: false }, 'a risky yes/no question defaults to no');
    await s.session.answer(String(asked.data.requestId), true);
    const resolved = await s.next((e) => e.type === 'input.resolved');
    t.equal(resolved.data.decidedBy, 'person');
    const result = await s.next((e) => e.type === 'message' && (e.data.parts as { kind: string }[])[0].kind === 'tool_result');
    t.match(JSON.stringify(result.data), /"value":true/);
    await s.next((e) => e.type === 'run.finished');
    const last = scene.llm.requests[scene.llm.requests.length - 1];
    const tool = last.body.messages.find((m) => m.role === 'tool');
    t.match(String(tool?.content), /"decidedBy":"person"/, 'the next model call gets the answer as the tool result');
  });

  t.test('ask_human timed out: the declared default applies and is recorded', async (t) => {
    const s = await scene.session('assistant');
    await s.session.send('ASK-TIMEOUT wipe');
    const resolved = await s.next((e) => e.type === 'input.resolved', 15_000);
    t.equal(resolved.data.outcome, 'default');
    t.equal(resolved.data.value, false, 'the risky action defaults to no');
    t.equal(resolved.data.decidedBy, 'timeout');
    const result = await s.next((e) => e.type === 'message' && (e.data.parts as { kind: string }[])[0].kind === 'tool_result');
    t.match(JSON.stringify(result.data), /"decidedBy":"timeout"/, 'the agent acts on the recorded decision');
    t.equal((await s.next((e) => e.type === 'run.finished')).data.status, 'completed');
  });

  t.test('an archived message is absent from the next request body', async (t) => {
    const s = await scene.session('assistant');
    await s.session.send('SECRET-XYZ-42 is the code name');
    const r1 = await s.next((e) => e.type === 'run.finished');
    await s.session.send('that last one is irrelevant');
    const r2 = await s.next((e) => e.type === 'run.finished' && e.seq > r1.seq);
    t.equal(r2.data.status, 'completed');
    await s.session.send('what do you know now?');
    await s.next((e) => e.type === 'run.finished' && e.seq > r2.seq);
    const last = scene.llm.requests[scene.llm.requests.length - 1];
    t.notMatch(JSON.stringify(last.body.messages), /SECRET-XYZ-42/, 'the archived message is left out');
    const manifests = s.of('message').filter((e) => JSON.stringify(e.data).includes('tether.context.manifest'));
    t.match(JSON.stringify(manifests[manifests.length - 1].data), /archived: alice said it is irrelevant/, 'and the manifest says why');
  });

  t.test('the search tool finds an earlier message through the host and the next request body has the hit', async (t) => {
    const s = await scene.session('assistant');
    const said = await s.session.send('the rollback codeword is PELICAN7 for tonight');
    const r1 = await s.next((e) => e.type === 'run.finished');
    await s.session.send('FIND pelican7 rollback');
    const result = await s.next(
      (e) => e.type === 'message' && e.seq > r1.seq && (e.data.parts as { kind: string }[])[0].kind === 'tool_result',
    );
    t.match(JSON.stringify(result.data), /codeword is PELICAN7/, 'the tool result in the log holds the hit');
    await s.next((e) => e.type === 'run.finished' && e.seq > r1.seq);
    const req = scene.llm.requests.find((r) => r.body.messages.some((m) => m.role === 'tool' && String(m.content).includes('PELICAN7')));
    t.ok(req, 'a request body carries the search result as the tool message');
    const tool = req!.body.messages.find((m) => m.role === 'tool' && String(m.content).includes('PELICAN7'));
    const hits = (JSON.parse(String(tool!.content)) as { hits: { sid: string; seq: number }[] }).hits;
    t.ok(
      hits.some((h) => h.sid === s.sid && h.seq === said.seq),
      'with the sid and seq of the message that was said',
    );
  });
});
