/** Broker profile: CONNECT outcomes, observers and client ids [SEC-AUTH-*, BROKER-CLIENTID-1, SEC-CLIENTID-1]. */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import mqtt from 'mqtt';
import { defineChecks } from '../core/check.ts';
import { seen } from '../core/evidence.ts';
import { accepted, type BrokerCheckContext } from '../broker/context.ts';
import { connectPacket } from '../harness/silent-session.ts';
import { hostPortOf } from '../harness/tcp-proxy.ts';
import { filters, topics } from '../../protocol/topics.ts';
import { text } from '../kit/payloads.ts';
import { expectQuiet, settled } from '../kit/waits.ts';

/** The CONNACK return code of a raw MQTT 3.1.1 CONNECT; -1 when none came within 3 s or the connection closed first. */
function connack(url: string, opts: { clientId: string; username?: string; password?: string }): Promise<number> {
  const { host, port } = hostPortOf(url);
  return new Promise<number>((resolve) => {
    const s = net.connect(port, host, () => s.write(connectPacket({ ...opts, clean: true })));
    const timer = setTimeout(() => (s.destroy(), resolve(-1)), 3000);
    s.on('data', (b: Buffer) => {
      clearTimeout(timer);
      s.destroy();
      resolve(b[0] >> 4 === 2 ? b[3] : -1);
    });
    s.on('error', () => (clearTimeout(timer), resolve(-1)));
    s.on('close', () => (clearTimeout(timer), resolve(-1)));
  });
}

const clientId = () => `cf${randomBytes(4).toString('hex')}`;

export default defineChecks<BrokerCheckContext>([
  {
    id: 'broker.connect',
    profile: 'broker',
    covers: ['SEC-AUTH-1', 'SEC-AUTH-2', 'SEC-AUTH-6', 'BROKER-CLIENTID-1'],
    description:
      'The broker refuses user names outside the ID alphabet (CONNACK 4) and failing credentials (4 or 5), lets no user-less observer publish, ' +
      'and accepts client ids of 128 characters.',
    async run(ctx, t) {
      const u = new URL(ctx.url);
      if (u.protocol !== 'mqtt:') t.notTestable(`raw CONNECT checks need an mqtt:// URL, not ${u.protocol}`);
      const [a, b] = ctx.principals(2);
      const badName = await connack(ctx.url, { clientId: clientId(), username: 'not/a principal', password: 'x' });
      t.expect('SEC-AUTH-1', badName === 4, 'a user name outside the ID alphabet is refused with CONNACK 4', {
        actual: `CONNACK ${badName}`,
      });
      if (ctx.target.anonymous) {
        const badName2 = await connack(ctx.url, { clientId: clientId(), username: 'bad name' });
        t.expect(
          'SEC-AUTH-2',
          badName2 === 4 || badName2 === 5,
          'on a loopback-anonymous listener, a CONNECT that fails authentication (invalid user name) is refused with 4 or 5',
          { actual: `CONNACK ${badName2}` },
        );
        // A loopback observer may connect and read everything, but publish nowhere: a second observer
        // reading the whole tree sees every publish the broker lets through.
        const watcher = await ctx.observer();
        await ctx.subscribe(watcher, filters.all());
        const observer = await ctx.observer();
        const sid = `cf-${randomBytes(12).toString('hex')}`;
        const mark = `observer-${sid}`;
        const now = new Date().toISOString();
        const forged = [
          {
            topic: topics.submit(sid, a),
            payload: { v: 1, id: `observer-${randomBytes(3).toString('hex')}`, type: 'message.send', data: text('obs', mark) },
          },
          {
            topic: topics.events(sid),
            payload: { v: 1, sid, events: [{ v: 1, sid, seq: 50, type: 'message', time: now, sender: a, data: text('obs', mark) }] },
          },
          {
            topic: topics.requests(a),
            payload: { v: 1, id: mark, type: 'sessions.list', replyTo: topics.replies(a, 'observed'), data: {} },
          },
          { topic: topics.notify(a), payload: { v: 1, k: 'closed', sid, seq: 1, t: mark } },
        ];
        for (const f of forged) await settled(observer.publish(f.topic, f.payload));
        const leaked = await expectQuiet(watcher, (m) => m.payload.toString().includes(mark), 400, 0);
        t.expect(
          'SEC-AUTH-6',
          leaked.length === 0,
          'a connection without user name publishes nothing: none of its publishes (a command, a batch, a request, a notification) is delivered',
          leaked[0] ? seen(leaked[0].topic, leaked[0].json) : { payload: forged.map((f) => f.topic).join(', ') },
        );
      } else {
        const wrong = await connack(ctx.url, { clientId: clientId(), username: a, password: `wrong-${randomBytes(4).toString('hex')}` });
        t.expect('SEC-AUTH-2', wrong === 4 || wrong === 5, 'a wrong password is refused with CONNACK 4 or 5', {
          actual: `CONNACK ${wrong}`,
        });
        const none = await connack(ctx.url, { clientId: clientId() });
        t.expect(
          'SEC-AUTH-1',
          none === 4 || none === 5,
          'a CONNECT without user name is refused on a listener that is not loopback anonymous',
          { actual: `CONNACK ${none}` },
        );
        t.expect('SEC-AUTH-6', none !== 0, 'no user-less connection, so no observer can publish', { actual: `CONNACK ${none}` });
      }
      const longId = `${b}.` + 'a'.repeat(128 - b.length - 1);
      const ok = await connack(ctx.url, { clientId: longId.slice(0, 128), username: b, password: ctx.passwordOf(b) });
      t.expect('BROKER-CLIENTID-1', ok === 0, 'a client id of 128 characters from the ID alphabet is accepted', {
        actual: `CONNACK ${ok}`,
      });
    },
  },
  {
    id: 'broker.clientid-takeover',
    profile: 'broker',
    covers: ['SEC-CLIENTID-1'],
    description: "The broker should refuse a CONNECT reusing the client id of another principal's session.",
    async run(ctx, t) {
      const [a, b] = ctx.principals(2);
      const id = `${a}.own${randomBytes(3).toString('hex')}`;
      await ctx.peer(a, { clientId: id, clean: false });
      const intruder = mqtt.connect(ctx.url, {
        ...ctx.target.opts.mqtt,
        clientId: id,
        username: b,
        password: ctx.passwordOf(b),
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      });
      const taken = await accepted(intruder);
      intruder.end(true);
      t.expect('SEC-CLIENTID-1', !taken, `${b} connecting with ${a}'s client id is refused`, {
        actual: taken ? 'CONNACK accepted; the session of the other principal was taken over' : 'refused',
      });
    },
  },
]);
