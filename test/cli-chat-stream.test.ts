import t from 'tap';
import { startCli } from './fixtures/cli-process.ts';
import { cliScene, printedOrder } from './fixtures/cli-scene.ts';

const tokens = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `tok${String(from + i).padStart(3, '0')} `);

t.test('chat prints the history, then streams tokens in order with none twice', async (t) => {
  const { url, alice, sid, botSession } = await cliScene(t, { title: 'streaming' });
  const aliceSession = await alice.join(sid, { after: 0 });
  await aliceSession.send('what happened?');
  await botSession.send('an earlier answer', { role: 'agent' });

  const chat = startCli(t, url, 'alice', ['chat', sid]);
  await chat.waitFor('bot: an earlier answer');
  t.match(chat.stdout(), /alice: what happened\?\n/, 'history shows the earlier message');

  const { runId } = await botSession.startRun({ title: 'answering' });
  const writer = botSession.stream({ runId, role: 'agent', windowMs: 0 });
  await writer.started;
  const first = tokens(1, 20);
  for (const tok of first) await writer.write(tok);
  // Streamed tokens are on screen before the message is complete.
  await chat.waitFor('tok020 ');
  t.notMatch(chat.stdout(), /run \S+ completed/, 'the run is still open');
  const rest = tokens(21, 40);
  for (const tok of rest) await writer.write(tok);
  await writer.complete();
  await botSession.finishRun(runId, 'completed', { summary: 'done streaming' });
  await chat.waitFor(/run \S+ completed: done streaming/);

  const printed = chat.stdout();
  t.same(printedOrder(printed, [...first, ...rest]), [...first, ...rest], 'every token once, in order');
  t.match(printed, /bot: tok001 tok002 /, 'the stream grows one line after the sender');

  chat.child.kill('SIGINT');
  t.equal(await chat.exited, 0, 'Ctrl-C leaves with exit 0');
});
