/** Device profile, host side: a host's notifications and results as a plain MQTT 3.1.1 device (mosquitto_sub) receives them [HOST-NOTIFY-1, HOST-RESULT-1, DEVICE-SIZE-1]. */
import { randomBytes } from 'node:crypto';
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { text } from '../kit/payloads.ts';
import { MosquittoSub } from '../harness/mosquitto-sub.ts';
import { topics as topicMap } from '../../protocol/topics.ts';
import { check as validate } from '../../protocol/validate.ts';

function device(ctx: HostCheckContext, principal: string, topics: string[], clientId: string, persistent: boolean): MosquittoSub {
  const pw = ctx.target.opts.users?.find((u) => u.name === principal)?.password;
  try {
    return new MosquittoSub(ctx.target.opts.url, { username: principal, password: pw, clientId, topics, persistent });
  } catch (err) {
    ctx.t.notTestable((err as Error).message);
  }
}

export default defineChecks<HostCheckContext>([
  {
    id: 'device.host.notifications',
    profile: 'device',
    covers: ['HOST-NOTIFY-1', 'DEVICE-SIZE-1', 'TOPIC-QOS-1'],
    description:
      "A mosquitto_sub device subscribed to its principal's notify topic receives the host's notifications: QoS 1, not retained, valid, at most 256 bytes even for long titles.",
    async run(ctx, t) {
      const [a, b] = ctx.principals(2);
      const alice = await ctx.peer(a);
      const dev = device(ctx, b, [topicMap.notify(b)], `${b}.watch${randomBytes(2).toString('hex')}`, false);
      try {
        await t.need('mosquitto_sub subscribes', () => dev.subscribed());
        const title = 'Ünïcödé title that goes on and on, far longer than a watch can show ✓ '.repeat(3).slice(0, 190);
        const sid = await ctx.session(alice, [{ principal: b, role: 'member' }], title);
        const m = await dev.waitFor((x) => x.json?.sid === sid && x.json?.k === 'session');
        const v = validate('Notification', m?.json);
        t.expect(
          'HOST-NOTIFY-1',
          m !== undefined && v.ok && m.retain === false,
          'the device receives a valid, non-retained session notification',
          seen(m?.topic ?? topicMap.notify(b), m?.json ?? 'nothing within 5 s', v.ok ? undefined : v.message),
        );
        t.expect('TOPIC-QOS-1', m?.qos === 1, 'it arrives with QoS 1 at a QoS 1 subscriber', { topic: m?.topic, actual: `QoS ${m?.qos}` });
        t.expect(
          'DEVICE-SIZE-1',
          m !== undefined && m.length <= 256 && !m.payload.toString('utf8').includes('\uFFFD'),
          `the payload is ${m?.length} bytes of valid UTF-8 (at most 256)`,
          seen(m?.topic, m?.payload.toString()),
        );
      } finally {
        await dev.stop();
      }
    },
  },
  {
    id: 'device.host.wake-up',
    profile: 'device',
    covers: ['HOST-RESULT-1', 'DEVICE-SIZE-1', 'TOPIC-RETAIN-1', 'HOST-NOTIFY-1'],
    description:
      'A sleeping device (persistent session, stable client id) that wakes gets the notifications queued meanwhile and the retained result of the run that finished while it slept.',
    timeoutMs: 25000,
    async run(ctx, t) {
      const [a, b, bot] = ctx.principals(3);
      const alice = await ctx.peer(a);
      const agent = await ctx.peer(bot);
      const sid = await ctx.session(alice, [
        { principal: b, role: 'member' },
        { principal: bot, role: 'agent' },
      ]);
      const witness = await ctx.peer(b);
      await ctx.subscribe(witness, topicMap.notify(b));
      const topics = [topicMap.notify(b), topicMap.result(sid)];
      const clientId = `${b}.lamp${randomBytes(2).toString('hex')}`;
      const first = device(ctx, b, topics, clientId, true);
      await t.need('mosquitto_sub subscribes', () => first.subscribed());
      await first.stop();
      await ctx.ok(agent, sid, 'run.start', { runId: 'r1' });
      const finished = await ctx.ok(agent, sid, 'run.finish', {
        runId: 'r1',
        status: 'completed',
        summary: 'All checks green — deployment finished at 10:42 UTC ✓'.repeat(3).slice(0, 160),
      });
      const asked = await ctx.ok(agent, sid, 'input.request', { requestId: 'q1', prompt: 'Roll out to the second region?' });
      await ctx.ok(alice, sid, 'message.send', text('bump'));
      const woke = device(ctx, b, topics, clientId, true);
      try {
        const result = await woke.waitFor((m) => m.topic === topicMap.result(sid));
        const v = validate('Result', result?.json);
        t.expect(
          'HOST-RESULT-1',
          result?.json?.seq === finished && result.json.status === 'completed' && v.ok,
          `the waking device gets the result of run.finished (seq ${finished})`,
          seen(result?.topic ?? topicMap.result(sid), result?.json ?? 'no result within 5 s'),
        );
        t.expect(
          'TOPIC-RETAIN-1',
          result !== undefined,
          'the result was retained: a device subscribing later receives it',
          seen(result?.topic, result?.json ?? 'nothing'),
        );
        t.expect(
          'DEVICE-SIZE-1',
          result !== undefined && result.length <= 256 && !result.payload.toString('utf8').includes('\uFFFD'),
          `the result payload is ${result?.length} bytes of valid UTF-8 (at most 256)`,
          seen(result?.topic, result?.payload.toString()),
        );
        const queued = await woke.waitFor((m) => m.topic.endsWith('/notify') && m.json?.sid === sid && m.json?.k === 'input');
        t.expect(
          'HOST-NOTIFY-1',
          queued?.json?.seq === asked,
          'the input notification sent while it slept was queued for it (QoS 1, persistent session)',
          { payload: excerpt(woke.messages.map((m) => m.json)) },
        );
        const res = woke.messages.find((m) => m.topic.endsWith('/notify') && m.json?.sid === sid && m.json?.k === 'result');
        // A principal with an agent card gets no result notification (the notification table), and pool
        // principals may have one from earlier checks (an agent's inbox): what was queued is compared
        // with what a live subscriber of the same principal got.
        const live = witness.on(topicMap.notify(b)).find((m) => m.json?.sid === sid && m.json?.k === 'result');
        if (!live) t.note(`${b} got no result notification live either (it has an agent card on this deployment)`);
        else
          t.expect('HOST-NOTIFY-1', res?.json?.seq === finished, 'and the result notification too', {
            payload: excerpt(woke.messages.map((m) => m.json)),
          });
      } finally {
        await woke.stop();
      }
    },
  },
]);
