import t from 'tap';
import type { EventEnvelope } from '../schemas/src/index.ts';
import { TetherClient } from '../clients/lib/node.ts';
import { startTestTether } from './helpers.ts';

const card = { name: 'Helper', skills: [], capabilities: { streaming: true, inputRequests: true, steering: true, cancel: true } };

/** Records a session's events from the moment of joining; waits for one matching a predicate. */
async function follow(client: TetherClient, sid: string) {
  const session = await client.join(sid);
  const events: EventEnvelope[] = [];
  const waiters: { pred: (e: EventEnvelope) => boolean; resolve: (e: EventEnvelope) => void }[] = [];
  session.on('event', (e) => {
    events.push(e);
    for (const w of waiters.filter((w) => w.pred(e))) waiters.splice(waiters.indexOf(w), 1), w.resolve(e);
  });
  const waitFor = (pred: (e: EventEnvelope) => boolean, what: string, ms = 5000) =>
    new Promise<EventEnvelope>((resolve, reject) => {
      const seen = events.find(pred);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  return { session, events, waitFor };
}

t.test('input requests, cancel, steer and the inbox work end to end between an agent and people', async (t) => {
  const tether = await startTestTether(t);
  const [alice, bob, bot] = await Promise.all([
    TetherClient.connect({ url: tether.mqttUrl, principal: 'alice' }),
    TetherClient.connect({ url: tether.mqttUrl, principal: 'bob' }),
    TetherClient.connect({ url: tether.mqttUrl, principal: 'bot', agent: card }),
  ]);
  t.teardown(() => Promise.all([alice.close(), bob.close(), bot.close()]));
  const inbox = await bot.watchInbox();
  const sid = await alice.createSession({
    participants: [
      { principal: 'bot', role: 'agent' },
      { principal: 'bob', role: 'approver' },
    ],
  });
  const { session: human, waitFor: humanSees } = await follow(alice, sid);
  const { session: approver, waitFor: approverSees } = await follow(bob, sid);
  const { session: agent, waitFor: agentSees } = await follow(bot, sid);

  await t.test('an answer by a person resolves the request; a second answer gets CONFLICT', async (t) => {
    const asked = await agent.ask({
      prompt: 'Deploy?',
      answerSchema: { type: 'boolean' },
      risk: 'high',
      deadline: 60_000,
      onTimeout: { policy: 'fail' },
    });
    const requested = await approverSees((e) => e.type === 'input.requested' && e.seq === asked.seq, 'the request');
    t.match(requested.data, { prompt: 'Deploy?', risk: 'high', onTimeout: { policy: 'fail' } }, 'the approver sees the request');
    await approver.answer(asked.requestId, true);
    const resolution = await asked.resolution;
    t.match(resolution, {
      requestId: asked.requestId,
      outcome: 'answered',
      decidedBy: 'person',
      by: 'bob',
      value: true,
      requestSeq: asked.seq,
    });
    await t.rejects(human.answer(asked.requestId, false), { code: 'CONFLICT' }, 'the first valid answer won');
    t.same(await human.resolution(asked.requestId), resolution, 'every participant sees the same decision');
  });

  await t.test('at the deadline the host applies the default and records the timeout as the decider', async (t) => {
    const asked = await agent.ask({ prompt: 'Proceed?', deadline: 300, onTimeout: { policy: 'default', value: 'yes' } });
    const resolution = await asked.resolution;
    t.match(resolution, { outcome: 'default', value: 'yes', decidedBy: 'timeout', by: '@host' });
  });

  await t.test('cancel reaches the agent, which finishes the run as cancelled', async (t) => {
    const run = await agent.startRun({ title: 'long job' });
    const cancel = await human.cancelRun(run.runId, 'not needed');
    const request = await agentSees((e) => e.seq === cancel.seq, 'the cancel request');
    t.match(request, { type: 'run.cancel_requested', sender: 'alice', data: { runId: run.runId, reason: 'not needed' } });
    const finish = await agent.finishRun(run.runId, 'cancelled', { summary: 'stopped on request' });
    t.match((await humanSees((e) => e.seq === finish.seq, 'run.finished')).data, { runId: run.runId, status: 'cancelled' });
  });

  await t.test('steers supersede each other and the agent confirms the one it applied', async (t) => {
    const run = await agent.startRun();
    await human.steer('focus on the database', { runId: run.runId });
    const second = await human.steer('only the replica, please', { runId: run.runId });
    const steer = await agentSees((e) => e.seq === second.seq, 'the second steer');
    t.equal((steer.data as { supersedes?: number }).supersedes, second.seq - 1, 'the host links the chain');
    const applied = await agent.applySteer(steer.seq);
    t.match(await humanSees((e) => e.seq === applied.seq, 'steer.applied'), { type: 'steer.applied', data: { steerSeq: second.seq } });
    await agent.finishRun(run.runId, 'completed');
  });

  await t.test('the inbox: the doorbell rings, list peeks, ack and archive and defer change it', async (t) => {
    const page = await inbox.list();
    t.ok(page.items.length >= 3, `${page.items.length} pending items for the agent`);
    t.equal(inbox.doorbell?.pending, page.pending, 'the doorbell shows the pending count');
    const [a, b, c] = page.items;
    t.equal(await inbox.ack([a.itemId]), 1);
    t.equal(await inbox.archive([b.itemId], 'handled elsewhere'), 1);
    t.equal(await inbox.defer([c.itemId], new Date(Date.now() + 3_600_000)), 1);
    // The verbs' own doorbells follow their replies: wait for the one after the deferral first.
    if (inbox.doorbell?.pending !== page.pending - 3) {
      await new Promise<void>((resolve) => {
        const on = (d: { pending: number }) => d.pending === page.pending - 3 && (inbox.off('doorbell', on), resolve());
        inbox.on('doorbell', on);
      });
    }
    const rang = new Promise<number>((resolve) => inbox.once('doorbell', (d) => resolve(d.pending)));
    await human.send('one more thing');
    t.equal(await rang, page.pending - 3 + 1, 'handled items left; the new message rang the doorbell');
    await t.rejects(inbox.ack(['no-such-item']), { code: 'INBOX_ITEM_NOT_FOUND' });
  });
});
