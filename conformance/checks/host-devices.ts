/** Host profile: notifications and results for devices, seen by a full participant [HOST-NOTIFY-*, HOST-RESULT-1, DEVICE-SIZE-1]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { expectQuiet, inFlight } from '../kit/waits.ts';
import { topics } from '../../protocol/topics.ts';
import { check as validate } from '../../protocol/validate.ts';
import type { CommandDataOf } from '../../schemas/src/index.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.devices.notifications',
    profile: 'host',
    covers: ['HOST-NOTIFY-1', 'DEVICE-SIZE-1', 'HOST-NOTIFY-2'],
    description:
      'The host notifies exactly the recipients of the notification table (QoS 1, not retained, <= 256 bytes), after the event is durable.',
    async run(ctx, t) {
      const [a, b, c, bot] = ctx.principals(4);
      const alice = await ctx.peer(a);
      const peers = { [a]: alice, [b]: await ctx.peer(b), [c]: await ctx.peer(c), [bot]: await ctx.peer(bot) };
      for (const p of Object.values(peers)) await ctx.subscribe(p, topics.notify(p.principal));
      const long = 'A very long title that will not fit a small device display '.repeat(6).slice(0, 190);
      const sid = await ctx.session(
        alice,
        [
          { principal: b, role: 'member' },
          { principal: bot, role: 'agent' },
        ],
        long,
      );
      const joined = await ctx.ok(alice, sid, 'participant.add', { principal: c, role: 'approver' });
      await ctx.ok(alice, sid, 'participant.add', { principal: c, role: 'viewer' });
      await ctx.ok(alice, sid, 'participant.add', { principal: c, role: 'approver' });
      const asked = await ctx.ok(peers[bot], sid, 'input.request', { requestId: 'q1', prompt: `${long} ok?` });
      const askedTo = await ctx.ok(peers[bot], sid, 'input.request', { requestId: 'q2', prompt: 'only carol', to: [c] });
      await ctx.ok(peers[bot], sid, 'run.start', { runId: 'r1' });
      const finished = await ctx.ok(peers[bot], sid, 'run.finish', { runId: 'r1', status: 'completed', summary: 'all good' });
      const closed = await ctx.ok(alice, sid, 'session.close', { reason: 'wrap up' });
      const expected: Record<string, [string, number][]> = {
        [a]: [
          ['input', asked],
          ['result', finished],
        ],
        [b]: [
          ['session', 1],
          ['input', asked],
          ['result', finished],
          ['closed', closed],
        ],
        [c]: [
          ['session', joined],
          ['input', asked],
          ['input', askedTo],
          ['result', finished],
          ['closed', closed],
        ],
        [bot]: [
          ['session', 1],
          ['closed', closed],
        ],
      };
      await inFlight(400);
      for (const [p, want] of Object.entries(expected)) {
        const topic = topics.notify(p);
        const got = peers[p].on(topic).filter((m) => m.json?.sid === sid);
        t.equal(
          'HOST-NOTIFY-1',
          got.map((m) => [m.json!.k, m.json!.seq]).sort(),
          want.slice().sort(),
          `${p} gets exactly the notifications of the table`,
          { topic, payload: excerpt(got.map((m) => m.json)) },
        );
        for (const m of got) {
          const bytes = m.payload.length;
          t.expect(
            'DEVICE-SIZE-1',
            bytes <= 256 && validate('Notification', m.json).ok && !m.payload.toString('utf8').includes('\uFFFD'),
            `a notification of ${bytes} bytes (at most 256, valid UTF-8, valid Notification)`,
            seen(topic, m.payload.toString()),
          );
          t.expect('HOST-NOTIFY-1', m.qos === 1, 'notifications are delivered with QoS 1 to a QoS 1 subscriber', {
            topic,
            actual: `QoS ${m.qos}`,
          });
        }
      }
      const fresh = await ctx.peer(b);
      await ctx.subscribe(fresh, topics.notify(b));
      const retained = await expectQuiet(fresh, topics.notify(b), 300, 0);
      t.expect('HOST-NOTIFY-1', retained.length === 0, 'notifications are not retained', { topic: topics.notify(b) });
      const log = await ctx.log(alice, sid);
      const all = Object.values(peers)
        .flatMap((p) => p.on(topics.notify(p.principal)))
        .filter((m) => m.json?.sid === sid);
      t.expect(
        'HOST-NOTIFY-2',
        all.every((m) => log.some((e) => e.seq === m.json!.seq)),
        'every notification names an event that is in the durable log',
        { payload: excerpt(all.map((m) => m.json?.seq)) },
      );
    },
  },
  {
    id: 'host.devices.notify-after-durable',
    profile: 'host',
    covers: ['HOST-NOTIFY-2'],
    description: 'When a notification arrives, the event it announces can already be read from history.',
    async run(ctx, t) {
      const [a, b] = ctx.principals(2);
      const alice = await ctx.peer(a);
      const bob = await ctx.peer(b);
      await ctx.subscribe(bob, topics.notify(b));
      for (let i = 0; i < 5; i++) {
        const sid = ctx.sid();
        await alice.publish(topics.submit(sid, a), {
          v: 1,
          id: alice.nextId(),
          type: 'session.create',
          replyTo: alice.replyTo,
          data: { participants: [{ principal: b, role: 'member' }] },
        });
        const n = await bob
          .waitFor((m) => m.topic === topics.notify(b) && m.json?.sid === sid, 'session notification')
          .catch(() => undefined);
        if (!n) t.notTestable('no session notification arrived');
        const page = await bob.request('history.get', { sid, after: 0, to: n!.json!.seq, compact: false });
        t.expect(
          'HOST-NOTIFY-2',
          page?.type === 'history.page' && (page.data?.events ?? []).some((e) => e.seq === n!.json!.seq),
          'the event of a notification is readable from history the moment the notification arrives',
          seen(bob.replyTo, page),
        );
      }
    },
  },
  {
    id: 'host.devices.results',
    profile: 'host',
    covers: ['HOST-RESULT-1', 'DEVICE-SIZE-1', 'TOPIC-RETAIN-1'],
    description: 'Every run.finished publishes a retained Result (seq, status, t = summary or status) of at most 256 bytes.',
    async run(ctx, t) {
      const [a, bot] = ctx.principals(2);
      const alice = await ctx.peer(a);
      const agent = await ctx.peer(bot);
      const sid = await ctx.session(alice, [{ principal: bot, role: 'agent' }]);
      const topic = topics.result(sid);
      const check = async (runId: string, status: CommandDataOf<'run.finish'>['status'], summary: string | undefined, t0: string) => {
        await ctx.ok(agent, sid, 'run.start', { runId });
        const data: CommandDataOf<'run.finish'> = { runId, status };
        if (summary !== undefined) data.summary = summary;
        const seq = await ctx.ok(agent, sid, 'run.finish', data);
        const device = await ctx.peer(a);
        await ctx.subscribe(device, topic);
        const m = await device
          .waitFor((x) => x.topic === topic && x.json?.seq === seq, `retained result at seq ${seq}`, 2000)
          .catch(() => device.on(topic).at(-1));
        await device.close();
        t.expect(
          'TOPIC-RETAIN-1',
          m !== undefined,
          'the result is retained (a later subscriber gets it)',
          seen(topic, m?.json ?? 'nothing retained'),
        );
        t.expect(
          'HOST-RESULT-1',
          m?.json?.seq === seq &&
            m.json.status === status &&
            m.json.sid === sid &&
            String(m.json.t).startsWith(t0.slice(0, 20)) &&
            validate('Result', m.json).ok,
          `the result of run.finished (seq ${seq}, ${status}) has t = ${summary === undefined ? 'the status' : 'the summary'}`,
          seen(topic, m?.json ?? 'nothing'),
        );
        if (m)
          t.expect(
            'DEVICE-SIZE-1',
            m.payload.length <= 256 && !m.payload.toString('utf8').includes('\uFFFD'),
            `the result payload is ${m.payload.length} bytes (at most 256, valid UTF-8)`,
            seen(topic, m.payload.toString()),
          );
      };
      await check('r1', 'completed', 'Everything went fine', 'Everything went fine');
      await check('r2', 'failed', undefined, 'failed');
      const longSummary = 'Ünïcödé summary with multi-byte characters ✓✓✓ '.repeat(4).slice(0, 160);
      await check('r3', 'cancelled', longSummary, longSummary);
    },
  },
]);
