import t from 'tap';
import { startCli } from './fixtures/cli-process.ts';
import { cliScene, nextEvent } from './fixtures/cli-scene.ts';

t.test('lines typed into chat become messages, answers, steers and cancels; Ctrl-C cancels nothing', async (t) => {
  const { url, sid, bot, botSession } = await cliScene(t, { title: 'commands' });
  const { runId } = await botSession.startRun({ title: 'investigating' });
  const chat = startCli(t, url, 'alice', ['chat', sid]);
  await chat.waitFor(/run \S+ started: investigating/);

  const message = nextEvent(botSession, (e) => e.type === 'message' && e.sender === 'alice');
  chat.type('hello from the terminal');
  t.match((await message).data, { role: 'user', parts: [{ kind: 'text', text: 'hello from the terminal' }] }, 'a plain line is a message');
  await chat.waitFor('alice: hello from the terminal');

  const steer = nextEvent(botSession, (e) => e.type === 'steer');
  chat.type('/steer only the database part');
  t.match((await steer).data, { runId, text: 'only the database part' }, '/steer steers the open run');

  const ask = await botSession.ask({
    prompt: 'Restart the primary?',
    risk: 'high',
    deadline: 120_000,
    onTimeout: { policy: 'default', value: false },
    runId,
  });
  await chat.waitFor(`? ${ask.requestId}`);
  const shown = await chat.waitFor(/risk high · (\S+ \S+|\S+) left · default false applies at the deadline/);
  t.ok(shown, 'the request shows its risk, the time left and the default');
  chat.type(`/answer ${ask.requestId} true`);
  t.match(await ask.resolution, { outcome: 'answered', value: true, by: 'alice' }, '/answer ID VALUE answers with the JSON value');
  await chat.waitFor(`${ask.requestId} answered by alice: true`);

  const second = await botSession.ask({ prompt: 'Which region?', answerSchema: { type: 'string', enum: ['eu', 'us'] } });
  await chat.waitFor(`? ${second.requestId}`);
  chat.type('/answer');
  await chat.waitFor(`value for ${second.requestId}`);
  chat.type('eu');
  t.match(await second.resolution, { outcome: 'answered', value: 'eu' }, 'the prompt flow takes the next line as the value');

  const cancel = nextEvent(botSession, (e) => e.type === 'run.cancel_requested');
  chat.type('/cancel');
  t.match((await cancel).data, { runId }, '/cancel asks to cancel the open run');
  await botSession.finishRun(runId, 'cancelled');
  await chat.waitFor(`run ${runId} cancelled`);

  const next = await botSession.startRun({ title: 'another' });
  await chat.waitFor(`run ${next.runId} started`);
  chat.child.kill('SIGINT');
  t.equal(await chat.exited, 0, 'Ctrl-C leaves with exit 0');
  const page = await bot.history(sid, { after: 0 });
  t.equal(page.events.filter((e) => e.type === 'run.cancel_requested').length, 1, 'leaving cancelled nothing');
  t.same(page.events.filter((e) => e.type === 'message' && e.sender === 'alice').length, 1, 'no line was sent twice');
});
