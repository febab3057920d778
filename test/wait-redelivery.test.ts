import t from 'tap';
import { jsonLines, runCli, startCli } from './fixtures/cli-process.ts';
import { client } from './fixtures/cli-scene.ts';
import { startTestTether } from './helpers.ts';

const itemIds = (stdout: string) => jsonLines(stdout).map((r) => r.itemId);

t.test('an item printed but not acknowledged is printed again; an acknowledged one is not', async (t) => {
  const tether = await startTestTether(t);
  const url = tether.mqttUrl;
  const alice = await client(t, url, 'alice');
  const bot = await client(t, url, 'bot');
  const sid = await alice.createSession({ title: 'redelivery', participants: [{ principal: 'bot', role: 'agent' }] });
  await bot.inbox.ack((await bot.inbox.list()).items.map((i) => i.itemId));
  const session = await alice.join(sid);

  // A wait killed (SIGKILL) while it blocks loses nothing that arrives afterwards.
  const blocked = startCli(t, url, 'bot', ['wait']);
  await blocked.waitFor('waiting for inbox items of bot', { stream: 'stderr' });
  await blocked.kill9();
  await session.send('arrived after the kill');

  const seen = await runCli(t, url, 'bot', ['wait', '--timeout', '0', '--json']);
  t.equal(seen.code, 0);
  const [item] = jsonLines(seen.stdout);
  t.match(
    item,
    { kind: 'message', sid, event: { type: 'message', sender: 'alice', text: 'arrived after the kill' } },
    'the next wait prints it',
  );
  // The agent that read it was killed before it acted: nothing acknowledged the item.
  const again = await runCli(t, url, 'bot', ['wait', '--timeout', '0', '--json']);
  t.same(itemIds(again.stdout), [item.itemId], 'not acknowledged: the next wait prints the same item again');

  const ack = await runCli(t, url, 'bot', ['ack', String(item.itemId), '--json']);
  t.equal(ack.code, 0);
  t.same(JSON.parse(ack.stdout), { agentId: 'bot', itemIds: [item.itemId], affected: 1 });

  await session.send('acked on print');
  const printed = await runCli(t, url, 'bot', ['wait', '--timeout', '0', '--ack', '--json']);
  const records = jsonLines(printed.stdout);
  t.equal(records.length, 1, 'after tether ack the first item is not printed again');
  t.match(records[0], { event: { text: 'acked on print' } });
  const none = await runCli(t, url, 'bot', ['wait', '--timeout', '0']);
  t.equal(none.code, 6, 'after --ack the item is not printed again');
  t.equal((await bot.inbox.list()).pending, 0);
});
