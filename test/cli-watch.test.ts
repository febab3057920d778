import t from 'tap';
import { jsonLines, startCli } from './fixtures/cli-process.ts';
import { cliScene } from './fixtures/cli-scene.ts';

t.test('tether watch shows waiting input requests on start, then new sessions, input requests and results as they come', async (t) => {
  const { url, sid, bot, botSession } = await cliScene(t, { title: 'watched' });
  const waiting = await botSession.ask({ prompt: 'Asked before anyone watched', deadline: 300_000, onTimeout: { policy: 'fail' } });

  const json = startCli(t, url, 'alice', ['watch', '--json']);
  const text = startCli(t, url, 'alice', ['watch']);
  await json.waitFor(`"requestId":"${waiting.requestId}"`);
  await text.waitFor(`${waiting.requestId} bot asks: Asked before anyone watched (waiting)`);
  const [ready, early] = jsonLines(json.stdout());
  t.match(ready, { kind: 'ready', principal: 'alice', sessions: 1, open: 1 }, 'a ready record first');
  t.match(
    early,
    { kind: 'input', sid, by: 'bot', waiting: true, onTimeout: { policy: 'fail' }, timeLeftMs: Number },
    'the waiting request, read on start',
  );

  const other = await bot.createSession({ title: 'bot started this', participants: [{ principal: 'alice', role: 'member' }] });
  await json.waitFor(`"kind":"session","sid":"${other}"`);
  await text.waitFor(`new session ${other} "bot started this" from bot`);

  const { runId } = await botSession.startRun();
  const ask = await botSession.ask({
    prompt: 'Restart the primary?',
    risk: 'high',
    deadline: 120_000,
    onTimeout: { policy: 'default', value: false },
    runId,
  });
  await json.waitFor(`"requestId":"${ask.requestId}"`);
  await text.waitFor(/risk high · (2m|1m \d+s) left · default false applies at the deadline/);
  t.match(text.stdout(), `answer: tether answer ${sid} ${ask.requestId} VALUE`, 'the command that answers it');

  await botSession.finishRun(runId, 'completed', { summary: 'all done' });
  await json.waitFor('"kind":"result"');
  await text.waitFor(`${sid} run ${runId} completed: all done`);

  const records = jsonLines(json.stdout());
  t.match(
    records.find((r) => r.requestId === ask.requestId),
    { kind: 'input', sid, by: 'bot', prompt: 'Restart the primary?', risk: 'high', onTimeout: { policy: 'default', value: false } },
  );
  const left = records.find((r) => r.requestId === ask.requestId)!.timeLeftMs as number;
  t.ok(left > 100_000 && left <= 120_000, `time left is about two minutes (${left} ms)`);
  t.match(
    records.find((r) => r.kind === 'result'),
    { sid, runId, status: 'completed', summary: 'all done' },
  );
  t.equal(
    records.filter((r) => r.kind === 'session').length,
    1,
    'the new session once, though both the index and a notification told of it',
  );

  json.child.kill('SIGINT');
  text.child.kill('SIGINT');
  t.same([await json.exited, await text.exited], [0, 0], 'Ctrl-C ends watch with exit 0');
});
