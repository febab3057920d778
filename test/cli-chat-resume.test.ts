import t from 'tap';
import { cutProxy } from './fixtures/cli-proxy.ts';
import { startCli } from './fixtures/cli-process.ts';
import { cliScene, printedOrder } from './fixtures/cli-scene.ts';

const tokens = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `w${String(from + i).padStart(3, '0')} `);

t.test('a chat whose connection drops mid-stream shows one status line and every token once', async (t) => {
  const { tether, sid, botSession } = await cliScene(t, { title: 'resume' });
  const proxy = await cutProxy(t, tether.mqttUrl);
  const chat = startCli(t, proxy.url, 'alice', ['chat', sid]);
  await chat.waitFor(`── ${sid} as alice`);

  const writer = botSession.stream({ role: 'agent', windowMs: 0 });
  const before = tokens(1, 15);
  for (const tok of before) await writer.write(tok);
  await chat.waitFor('w015 ');

  proxy.cut();
  // Written while the chat is away: it gets these from history after it reconnects.
  const during = tokens(16, 30);
  for (const tok of during) await writer.write(tok);
  proxy.restore();
  await proxy.accepted(2);
  const after = tokens(31, 45);
  for (const tok of after) await writer.write(tok);
  await writer.complete();
  await chat.waitFor('w045 ');

  const printed = chat.stdout();
  const all = [...before, ...during, ...after];
  t.same(printedOrder(printed, all), all, 'every token once, in order');
  t.equal(printed.match(/connection lost/g)?.length, 1, 'one status line for the outage');
  t.match(printed, /── connection lost for \S+; resumed/);

  chat.child.kill('SIGINT');
  t.equal(await chat.exited, 0);
});
