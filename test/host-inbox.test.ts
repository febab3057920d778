import t from 'tap';
import { createSession, peer, startTestTether } from './helpers.ts';
import { topics } from '../protocol/topics.ts';

t.test('an agent inbox collects work, rings the doorbell, and supports list, ack, archive and defer', async (t) => {
  const tether = await startTestTether(t);
  const bot = await peer(t, tether.mqttUrl, 'bot');
  await bot.subscribe(topics.inbox('bot'));
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const sid = await createSession(alice, [{ principal: 'bot', role: 'agent' }], 'triage');
  await alice.command(sid, 'message.send', { msgId: 'q1', role: 'user', parts: [{ kind: 'text', text: 'first question' }] });
  await alice.command(sid, 'steer', { text: 'be brief' });
  await bot.waitFor((m) => m.topic === topics.inbox('bot') && m.json?.pending === 3, 'doorbell with 3 pending');

  const list = await bot.request('inbox.list', { agentId: 'bot' });
  t.equal(list.type, 'inbox.page');
  t.same(
    list.data.items.map((i: { kind: string }) => i.kind),
    ['session.assigned', 'message', 'steer'],
  );
  t.equal(list.data.items[1].summary, 'first question');
  const [assigned, message, steer] = list.data.items.map((i: { itemId: string }) => i.itemId);

  t.same((await bot.request('inbox.ack', { agentId: 'bot', itemIds: [assigned] })).data, { affected: 1 });
  t.same((await bot.request('inbox.archive', { agentId: 'bot', itemIds: [steer], reason: 'superseded' })).data, { affected: 1 });
  const future = new Date(Date.now() + 3_600_000).toISOString();
  t.same((await bot.request('inbox.defer', { agentId: 'bot', itemIds: [message], until: future })).data, { affected: 1 });
  const empty = await bot.request('inbox.list', { agentId: 'bot' });
  t.same(empty.data.items, [], 'acked, archived and deferred items are not pending');
  await bot.waitFor((m) => m.topic === topics.inbox('bot') && m.json?.pending === 0, 'doorbell with 0 pending');

  const again = await bot.request('inbox.ack', { agentId: 'bot', itemIds: [assigned] });
  t.same(again.data, { affected: 0 }, 'repeating a verb on a done item succeeds and changes nothing');
  const unknown = await bot.request('inbox.ack', { agentId: 'bot', itemIds: [message, 'it424242'] });
  t.match(
    unknown.data,
    { code: 'INBOX_ITEM_NOT_FOUND', details: { itemIds: ['it424242'] } },
    'an id the inbox never had fails the whole verb',
  );
  await bot.request('inbox.defer', { agentId: 'bot', itemIds: [message], until: new Date(Date.now() - 1000).toISOString() });
  const back = await bot.request('inbox.list', { agentId: 'bot' });
  t.same(
    back.data.items.map((i: { itemId: string }) => i.itemId),
    [message],
    'the failed verb left the deferred item untouched',
  );
  const other = await alice.request('inbox.list', { agentId: 'bot' });
  t.equal(other.data.code, 'FORBIDDEN', 'only the agent itself reads its inbox');
});

t.test('a deferred item comes back when its time has come', async (t) => {
  const tether = await startTestTether(t);
  const bot = await peer(t, tether.mqttUrl, 'bot');
  await bot.subscribe(topics.inbox('bot'));
  const alice = await peer(t, tether.mqttUrl, 'alice');
  await createSession(alice, [{ principal: 'bot', role: 'agent' }]);
  const [item] = (await bot.request('inbox.list', { agentId: 'bot' })).data.items;
  const soon = new Date(Date.now() + 300).toISOString();
  await bot.request('inbox.defer', { agentId: 'bot', itemIds: [item.itemId], until: soon });
  t.same((await bot.request('inbox.list', { agentId: 'bot' })).data.items, []);
  const bell = await bot.waitFor(
    (m) => m.topic === topics.inbox('bot') && m.json?.pending === 1 && Date.parse(m.json.time) >= Date.parse(soon),
    'doorbell when the deferral ends',
  );
  t.ok(bell, 'the doorbell rings when the item comes due');
  const back = (await bot.request('inbox.list', { agentId: 'bot' })).data.items;
  t.equal(back[0]?.itemId, item.itemId);
  t.equal(back[0]?.deferredUntil, soon);
});
