/** Device profile, device side: a device under test (or the mosquitto_sub reference device) against the suite's host [DEVICE-*]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { ImplCheckContext } from '../impl/context.ts';
import { isId } from '../../protocol/topics.ts';
import type { AdapterEvent } from '../harness/adapter.ts';

const note = (sid: string, seq: number, k: string, t: string, extra: Record<string, unknown> = {}) => ({ v: 1, k, sid, seq, t, ...extra });

/** A valid notification padded (with a field devices do not know) to exactly `bytes` bytes. */
function padded(sid: string, seq: number, bytes: number): Record<string, unknown> {
  const n = note(sid, seq, 'session', 'x'.repeat(100));
  const base = Buffer.byteLength(JSON.stringify({ ...n, pad: '' }));
  return { ...n, pad: 'y'.repeat(Math.max(0, bytes - base)) };
}

export default defineChecks<ImplCheckContext>([
  {
    id: 'device.impl.subscriptions',
    profile: 'device',
    covers: [
      'DEVICE-SUB-1',
      'DEVICE-PUB-1',
      'MQTT-CLIENTID-1',
      'MQTT-CLIENTID-3',
      'CONF-MQTT-1',
      'MQTT-FIVE-1',
      'ID-ALPHABET-1',
      'TOPIC-ID-1',
    ],
    description:
      'The device works with its notify topic and results topics only, publishes nothing, and connects over MQTT 3.1.1 with a {principal}.{device} client id.',
    async run(ctx, t) {
      const alice = await ctx.peer('alice');
      const sid = ctx.sid();
      const a = await ctx.start({ TETHER_SESSIONS: sid });
      if (!(await ctx.subscribed((f) => f.endsWith('/notify'))))
        t.notTestable('the device did not subscribe to its notify topic within 15 s');
      const r = await alice.command(sid, 'session.create', {
        title: 'for the device',
        participants: [{ principal: ctx.principal, role: 'viewer' }],
      });
      if (r.type !== 'ack') t.notTestable(`session.create was refused: ${JSON.stringify(r.data)}`);
      const shown = await a
        .waitFor((e) => e.event === 'shown' && e.sid === sid && e.k === 'session', 'the session notification shown', 10000)
        .catch(() => undefined);
      const subs = ctx.wire('subscribe').map((s) => s.topic!);
      const allowed = (f: string) => f === `tether/v1/users/${ctx.principal}/notify` || /^tether\/v1\/results\/[^/+#]+$/.test(f);
      t.expect(
        'DEVICE-SUB-1',
        shown !== undefined && subs.length > 0 && subs.every(allowed),
        'it shows notifications with subscriptions to its notify and results topics only',
        { payload: excerpt({ subs, shown }) },
      );
      await ctx.sleep(200);
      const pubs = ctx
        .wire('publish')
        .filter(
          (p) =>
            p.topic!.startsWith('tether/') &&
            !/\/presence\//.test(p.topic!) &&
            !(p.payload!.length && ctx.wire('connect').some((c) => c.connect?.will?.topic === p.topic)),
        );
      t.expect('DEVICE-PUB-1', pubs.length === 0, 'it publishes nothing on Tether topics', { payload: excerpt(pubs.map((p) => p.topic)) });
      const c = ctx.wire('connect')[0];
      t.expect('CONF-MQTT-1', c?.connect?.protocolVersion === 4, 'it connects with MQTT 3.1.1', {
        actual: `protocol level ${c?.connect?.protocolVersion}`,
      });
      t.expect('MQTT-FIVE-1', c?.connect?.protocolVersion === 4 && shown !== undefined, 'and needs nothing of MQTT 5', {
        actual: `protocol level ${c?.connect?.protocolVersion}`,
      });
      t.expect('MQTT-CLIENTID-1', Boolean(c?.clientId) || c?.connect?.clean === true, 'no empty client id with clean session 0', {
        actual: `${c?.clientId} clean ${c?.connect?.clean}`,
      });
      t.expect('MQTT-CLIENTID-3', c?.clientId?.startsWith(`${ctx.principal}.`) === true, 'its client id is {principal}.{device}', {
        actual: c?.clientId,
      });
      t.expect(
        'ID-ALPHABET-1',
        c !== undefined && isId(c.clientId.slice(ctx.principal.length + 1)),
        'the device name is in the ID alphabet',
        { actual: c?.clientId },
      );
      t.expect(
        'TOPIC-ID-1',
        subs.every((f) => f.split('/').every((l) => l.length > 0)),
        'its topic filters are built from valid ids',
        { payload: excerpt(subs) },
      );
    },
  },
  {
    id: 'device.impl.payloads',
    profile: 'device',
    covers: ['DEVICE-BUF-1', 'DEVICE-KIND-1', 'DEVICE-ORDER-1', 'DEVICE-DEDUP-1', 'ENV-UNKNOWN-1', 'TOPIC-EMPTY-1'],
    description:
      'The device takes payloads of up to 256 bytes, ignores notification kinds and fields it does not know, treats a cleared result as no value, and should keep a newer result over an older one.',
    async run(ctx, t) {
      const alice = await ctx.peer('alice');
      const sid = await ctx.session(alice, 'viewer');
      const a = await ctx.start({ TETHER_SESSIONS: sid });
      if (!(await ctx.subscribed((f) => f.startsWith('tether/v1/results/'))))
        t.notTestable('the device did not subscribe to the results topic within 15 s');
      await ctx.sleep(100);
      const notify = `tether/v1/users/${ctx.principal}/notify`;
      const results = `tether/v1/results/${sid}`;
      const full = padded(sid, 3, 256);
      await ctx.suite.inject(notify, full);
      await ctx.suite.inject(notify, note(sid, 4, 'hologram', 'a kind from the future'));
      await ctx.suite.inject(notify, note(sid, 5, 'input', 'with extra fields', { urgency: { level: 9 }, 'x-future': true }));
      const shown = async (pred: (e: AdapterEvent) => boolean) =>
        a.waitFor((e) => e.event === 'shown' && pred(e), 'shown', 8000).catch(() => undefined);
      const big = await shown((e) => e.kind === 'notification' && e.seq === 3);
      t.expect(
        'DEVICE-BUF-1',
        big !== undefined,
        `a notification of ${Buffer.byteLength(JSON.stringify(full))} bytes is shown`,
        seen(notify, big ?? 'not shown'),
      );
      const extra = await shown((e) => e.kind === 'notification' && e.seq === 5);
      t.expect(
        'ENV-UNKNOWN-1',
        extra !== undefined,
        'a notification with fields it does not know is shown',
        seen(notify, extra ?? 'not shown'),
      );
      t.expect('DEVICE-KIND-1', !a.events.some((e) => e.event === 'shown' && e.seq === 4), 'a notification of an unknown kind is ignored', {
        payload: excerpt(a.events.filter((e) => e.event === 'shown')),
      });
      await ctx.suite.inject(notify, full);
      await ctx.suite.inject(results, { v: 1, sid, seq: 2, status: 'completed', t: 'first' }, true);
      await ctx.suite.inject(results, { v: 1, sid, seq: 2, status: 'completed', t: 'first' }, true);
      await ctx.sleep(400);
      const repeats = a.events.filter(
        (e) => e.event === 'shown' && ((e.kind === 'notification' && e.seq === 3) || (e.kind === 'result' && e.seq === 2)),
      );
      t.expect(
        'DEVICE-DEDUP-1',
        repeats.filter((e) => e.kind === 'notification').length === 1 && repeats.filter((e) => e.kind === 'result').length === 1,
        'a notification or result delivered again is not shown again',
        { payload: excerpt(repeats) },
      );
      const r10: Record<string, unknown> = { v: 1, sid, seq: 10, status: 'completed', t: '' };
      r10.t = 'z'.repeat(Math.min(160, 256 - Buffer.byteLength(JSON.stringify(r10))));
      await ctx.suite.inject(results, r10, true);
      const got10 = await shown((e) => e.kind === 'result' && e.seq === 10);
      t.expect(
        'DEVICE-BUF-1',
        got10 !== undefined,
        `a result of ${Buffer.byteLength(JSON.stringify(r10))} bytes is shown`,
        seen(results, got10 ?? 'not shown'),
      );
      await ctx.suite.inject(results, { v: 1, sid, seq: 5, status: 'failed', t: 'older' }, true);
      await ctx.suite.inject(results, Buffer.alloc(0), true);
      await ctx.suite.inject(results, { v: 1, sid, seq: 12, status: 'completed', t: 'newest' }, true);
      const got12 = await shown((e) => e.kind === 'result' && e.seq === 12);
      t.expect(
        'TOPIC-EMPTY-1',
        got12 !== undefined && a.running,
        'a cleared (empty) retained result is no value: the device keeps working',
        seen(results, got12 ?? 'the next result was not shown'),
      );
      t.expect(
        'DEVICE-ORDER-1',
        !a.events.some((e) => e.event === 'shown' && e.kind === 'result' && e.seq === 5),
        'a result with a lower seq does not replace the shown one',
        { payload: excerpt(a.events.filter((e) => e.kind === 'result')) },
      );
    },
  },
  {
    id: 'device.impl.wake',
    profile: 'device',
    covers: ['MQTT-SESSION-3', 'TOPIC-RETAIN-2'],
    description:
      'After its connection drops the device subscribes again and shows the retained result that was published while it was away.',
    timeoutMs: 25000,
    async run(ctx, t) {
      const alice = await ctx.peer('alice');
      const sid = await ctx.session(alice, 'viewer');
      const a = await ctx.start({ TETHER_SESSIONS: sid });
      if (!(await ctx.subscribed((f) => f.startsWith('tether/v1/results/'))))
        t.notTestable('the device did not subscribe to the results topic within 15 s');
      const subs = ctx.wire('subscribe').length;
      ctx.proxy!.refuse(true);
      ctx.proxy!.cut();
      await ctx.suite.inject(`tether/v1/results/${sid}`, { v: 1, sid, seq: 7, status: 'completed', t: 'while you slept' }, true);
      await ctx.sleep(300);
      ctx.proxy!.refuse(false);
      const got = await a
        .waitFor((e) => e.event === 'shown' && e.kind === 'result' && e.seq === 7, 'the retained result', 15000)
        .catch(() => undefined);
      t.expect(
        'MQTT-SESSION-3',
        ctx.wire('subscribe').length > subs && got !== undefined,
        'it subscribes again on the new connection and shows the result',
        { payload: excerpt(ctx.wire('subscribe').map((s) => s.topic)) },
      );
      t.expect(
        'TOPIC-RETAIN-2',
        got?.t === 'while you slept',
        'a result delivered as a retained message is shown like a live one',
        seen(`tether/v1/results/${sid}`, got ?? 'not shown'),
      );
    },
  },
]);
