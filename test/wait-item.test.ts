import t from 'tap';
import { startCli } from './fixtures/cli-process.ts';
import { client } from './fixtures/cli-scene.ts';
import { startTestTether } from './helpers.ts';

t.test('tether wait blocks until an item of its session arrives, prints it with the event text and exits 0', async (t) => {
  const tether = await startTestTether(t);
  const alice = await client(t, tether.mqttUrl, 'alice');
  const bot = await client(t, tether.mqttUrl, 'bot');
  const agents = [{ principal: 'bot', role: 'agent' as const }];
  const mine = await alice.createSession({ title: 'watched', participants: agents });
  const other = await alice.createSession({ title: 'elsewhere', participants: agents });
  // The two session.assigned items are done before the wait starts.
  const assigned = (await bot.inbox.list()).items.map((i) => i.itemId);
  t.equal(assigned.length, 2);
  await bot.inbox.ack(assigned);

  const wait = startCli(t, tether.mqttUrl, 'alice', ['wait', '--agent', 'bot', '--session', mine]);
  await wait.waitFor('waiting for inbox items of bot', { stream: 'stderr' });
  // An item of another session first: it must not end the wait.
  await (await alice.join(other)).send('not for this wait');
  await (await alice.join(mine)).send('Summarise the incident, please.');
  t.equal(await wait.exited, 0, 'exit 0 once an item is printed');

  const out = wait.stdout();
  t.match(out, new RegExp(`── item \\S+ · message · session ${mine} · seq 2 · `), 'the item line names kind, session and seq');
  t.match(out, /\nalice: Summarise the incident, please\.\n/, 'the event text from history, with its sender');
  t.notMatch(out, /not for this wait/, 'an item of another session is not printed');
  t.match(wait.stderr(), /done: tether ack \S+/, 'a hint names the ack command');
  t.equal((await bot.inbox.list()).pending, 2, 'printed items stay pending');
});
