import t from 'tap';
import { EpochBoard, TetherClient, type AgentCard } from '../clients/lib/node.ts';
import { peer, startCutProxy, startTestTether } from './helpers.ts';
import { topics } from '../protocol/topics.ts';

const card: AgentCard = {
  name: 'Helper',
  description: 'test agent',
  skills: [],
  capabilities: { streaming: true, inputRequests: true, steering: true, cancel: true },
};
const backoff = { initialMs: 20, maxMs: 100 };

/** Resolves when cond() holds, checking after each event of `on` (bounded by a timeout). */
function when(subscribe: (fn: () => void) => () => void, cond: () => boolean, what: string, ms = 5000): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), ms);
    const off = subscribe(() => {
      if (cond()) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

t.test('the session index shows sessions an agent started while the user was away, then follows additions and removals', async (t) => {
  const tether = await startTestTether(t);
  const link = await startCutProxy(t, Number(new URL(tether.mqttUrl).port));
  const bot = await TetherClient.connect({ url: tether.wsUrl, principal: 'bot', agent: card });
  t.teardown(() => bot.close());
  const early = await bot.createSession({ title: 'started while alice was away', participants: [{ principal: 'alice', role: 'member' }] });

  const alice = await TetherClient.connect({ url: link.url, principal: 'alice', backoff });
  t.teardown(() => alice.close());
  const index = await alice.watchSessions();
  const changes = (fn: () => void) => {
    const offs = [index.on('added', fn), index.on('removed', fn), index.on('changed', fn)];
    return () => {
      for (const off of offs) off();
    };
  };
  await when(changes, () => index.get(early) !== undefined, 'the early session');
  t.match(index.get(early), { sid: early, role: 'member', createdBy: 'bot', title: 'started while alice was away', status: 'open' });

  const added: string[] = [];
  index.on('added', (e) => added.push(e.sid));
  const live = await bot.createSession({ title: 'live', participants: [{ principal: 'alice', role: 'viewer' }] });
  await when(changes, () => added.includes(live), 'the live addition');
  await bot.command(live, 'participant.remove', { principal: 'alice' });
  await when(changes, () => index.get(live) === undefined, 'the live removal (empty retained payload)');

  // Removed while offline: no retained message is left to say so; the reconnect reconciles.
  link.pause();
  link.cut();
  await bot.command(early, 'participant.remove', { principal: 'alice' });
  link.resume();
  await when(changes, () => index.get(early) === undefined, 'the removal that happened while offline');
  t.equal(index.size, 0, 'no session left');
});

t.test('agent status and presence carry epochs; the stale Will of a taken-over connection does not win', async (t) => {
  const board = new EpochBoard<{ epoch: number; status: string }>();
  t.equal(board.offer('a', { epoch: 5, status: 'online' }), true, 'a first state is taken');
  t.equal(board.offer('a', { epoch: 4, status: 'offline' }), false, 'a lower epoch is ignored [LIVE-EPOCH-2]');
  t.equal(board.offer('a', { epoch: 5, status: 'offline' }), true, 'the same epoch (its own Will) is taken');
  t.equal(board.offer('a', { epoch: 5, status: 'online' }), false, 'a late birth of a dead connection is ignored [LIVE-EPOCH-3]');

  const tether = await startTestTether(t);
  const botLink = await startCutProxy(t, Number(new URL(tether.mqttUrl).port));
  const aliceLink = await startCutProxy(t, Number(new URL(tether.mqttUrl).port));
  const bot = await TetherClient.connect({ url: botLink.url, principal: 'bot', device: 'main', persistent: true, agent: card, backoff });
  const carol = await TetherClient.connect({ url: tether.mqttUrl, principal: 'carol' });
  t.teardown(() => Promise.all([bot.close(), carol.close()]));
  const wire = await peer(t, tether.mqttUrl, 'observer');
  await wire.subscribe(topics.agentState('bot'));

  const agents = await carol.watchAgents();
  const agentChanges = (fn: () => void) => agents.on('change', fn);
  await when(agentChanges, () => agents.get('bot')?.status === 'online', 'the agent birth');
  const firstEpoch = bot.epoch;
  t.equal(agents.get('bot')?.epoch, firstEpoch);
  t.same(agents.get('bot')?.card, card, 'the card is retained with the status');
  await bot.setAgentStatus('busy');
  await when(agentChanges, () => agents.get('bot')?.status === 'busy', 'busy');

  // The broker still holds the old connection; the reconnect takes it over and Aedes publishes
  // the old connection's Will (offline, old epoch) after the new birth.
  botLink.cutClientSide();
  const staleWill = await wire.waitFor((m) => m.json?.status === 'offline' && m.json.epoch === firstEpoch, 'the stale Will');
  await when(agentChanges, () => (agents.get('bot')?.epoch ?? 0) > firstEpoch, 'the new birth');
  t.ok(bot.epoch > firstEpoch, 'a new connection has a new epoch');
  t.match(agents.get('bot'), { status: 'busy', epoch: bot.epoch }, 'the agent is busy at the new epoch, whatever order the Will came in');
  // The stale Will replaced the retained state; the agent answers it with its birth again, so a
  // newcomer does not read it as offline [LIVE-REBIRTH-1].
  await wire.waitFor(
    (m) => m.json?.epoch === bot.epoch && m.json.status === 'busy',
    'the birth after the stale Will',
    5000,
    wire.log.indexOf(staleWill) + 1,
  );
  const newcomer = await TetherClient.connect({ url: tether.mqttUrl, principal: 'dave' });
  t.teardown(() => newcomer.close());
  const seenByNewcomer = await newcomer.watchAgents();
  await when(
    (fn) => seenByNewcomer.on('change', fn),
    () => seenByNewcomer.get('bot') !== undefined,
    'the retained agent state',
  );
  t.match(seenByNewcomer.get('bot'), { status: 'busy', epoch: bot.epoch }, 'a newcomer reads the repaired retained state');

  // Presence: birth with the session, Will on an abrupt loss, rebirth with a higher epoch.
  const sid = await carol.createSession({ participants: [{ principal: 'alice', role: 'member' }] });
  const alice = await TetherClient.connect({
    url: aliceLink.url,
    principal: 'alice',
    device: 'phone',
    presenceWill: sid,
    backoff: { initialMs: 200, maxMs: 300 },
  });
  t.teardown(() => alice.close());
  const watching = await carol.join(sid, { presence: true });
  const seen: string[] = [];
  watching.on('presence', (key, p) => seen.push(`${key}:${p?.status}`));
  const presenceChanges = (fn: () => void) => watching.on('presence', fn);
  await (await alice.join(sid)).setPresence('online');
  await when(presenceChanges, () => watching.presence.get('alice/phone')?.status === 'online', 'alice online');
  const aliceFirst = alice.epoch;
  aliceLink.cut();
  await when(presenceChanges, () => watching.presence.get('alice/phone')?.status === 'offline', 'the Will');
  t.equal(watching.presence.get('alice/phone')?.epoch, aliceFirst, 'the Will carries the epoch of the lost connection');
  await when(presenceChanges, () => (watching.presence.get('alice/phone')?.epoch ?? 0) > aliceFirst, 'the rebirth');
  t.same(seen, ['alice/phone:online', 'alice/phone:offline', 'alice/phone:online'], 'online, offline (Will), online again');

  await bot.close();
  await when(agentChanges, () => agents.get('bot')?.status === 'offline', 'the clean shutdown');
  t.equal(agents.get('bot')?.epoch, bot.epoch, 'a clean shutdown says offline with its own epoch');
});

t.test("another host's new epoch neither resyncs the client nor sets its limits; its own host's does", async (t) => {
  const tether = await startTestTether(t);
  const alice = await TetherClient.connect({ url: tether.mqttUrl, principal: 'alice', backoff });
  t.teardown(() => alice.close());
  const sid = await alice.createSession({ title: 'one host of two' });
  const session = await alice.join(sid);
  const hosts: string[] = [];
  alice.on('host', (s) => void hosts.push(`${s.hostId}@${s.epoch}`));
  const inject = (hostId: string, epoch: number, maxHistoryPage: number) =>
    new Promise<void>((resolve) =>
      tether.broker.publish(
        {
          cmd: 'publish',
          topic: topics.hostState(hostId),
          payload: Buffer.from(
            JSON.stringify({
              v: 1,
              hostId,
              status: 'online',
              epoch,
              protocol: '1.0',
              features: [],
              limits: {
                maxPayloadBytes: 1000,
                maxIdLength: 64,
                commandsPerSecond: 500,
                maxHistoryPage,
                maxSessionsPerPrincipal: 1000,
                retentionEvents: 0,
              },
              time: new Date().toISOString(),
            }),
          ),
          qos: 1,
          retain: true,
          dup: false,
        } as never,
        () => resolve(),
      ),
    );
  // The join's own catch-up first (one page: the session has one event).
  await when(
    (fn) => session.on('event', fn),
    () => session.stats.pages >= 1 && session.lastSeq >= 1,
    'the join catch-up',
  );
  const pages = session.stats.pages;
  await inject('other', 1, 10);
  await inject('other', 2, 10);
  await when(
    (fn) => alice.on('host', fn),
    () => hosts.includes('other@2'),
    'the other host state',
  );
  // A request sent now is answered after any history.get a resync would have sent before it.
  await alice.request('sessions.list', {});
  await new Promise((r) => setImmediate(r));
  t.equal(
    session.stats.pages,
    pages,
    `no history.get: the other host restarting is not this session's business (${pages} page(s) before, ${session.stats.pages} after)`,
  );
  const ack = await alice.command(sid, 'message.send', { msgId: 'big', role: 'user', parts: [{ kind: 'text', text: 'x'.repeat(2000) }] });
  t.ok(ack.seq > 1, "the other host's maxPayloadBytes (1000) does not apply");
  // The client's own host announcing a new epoch does make it catch up.
  const main = tether.host.epoch;
  await inject('main', main + 100, 1000);
  await when(
    (fn) => alice.on('host', fn),
    () => hosts.includes(`main@${main + 100}`),
    'the new epoch of its own host',
  );
  await when(
    (fn) => session.on('event', fn),
    () => session.stats.pages > pages,
    'a history.get after the new epoch',
    5000,
  ).catch(() => undefined);
  t.ok(session.stats.pages > pages, 'its own host with a new epoch: the session catches up again');
});
