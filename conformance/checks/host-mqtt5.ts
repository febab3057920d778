/** Host profile: the optional MQTT 5 feature, when the host advertises it [MQTT-FIVE-2]. */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { defineChecks } from '../core/check.ts';
import { seen } from '../core/evidence.ts';
import { accepted } from '../broker/context.ts';
import type { HostCheckContext } from '../host/context.ts';
import { filters, topics } from '../../protocol/topics.ts';
import { text } from '../kit/payloads.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.mqtt5.payload-wins',
    profile: 'host',
    covers: ['MQTT-FIVE-2'],
    description:
      "Over an MQTT 5 connection, when the Response Topic property and the payload's replyTo differ, the host replies on the payload's replyTo.",
    feature: 'mqtt5',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      const a = alice.principal;
      const v5 = mqtt.connect(ctx.url, {
        ...ctx.target.opts.mqtt,
        protocolVersion: 5,
        clientId: `${a}.v5${randomBytes(2).toString('hex')}`,
        username: a,
        password: ctx.passwordOf(a),
        reconnectPeriod: 0,
      });
      if (!(await accepted(v5))) t.notTestable('the host advertises mqtt5 but the broker refused an MQTT 5 connection');
      const other = topics.replies(a, 'v5-decoy');
      await ctx.subscribe(alice, filters.repliesOf(a));
      const id = alice.nextId('v5');
      const command = { v: 1, id, type: 'message.send', replyTo: alice.replyTo, data: text('v5') };
      v5.publish(topics.submit(sid, a), JSON.stringify(command), { qos: 1, properties: { responseTopic: other } });
      const reply = await alice.waitFor((m) => m.json?.re === id, 'the reply', 5000).catch(() => undefined);
      v5.end(true);
      t.expect(
        'MQTT-FIVE-2',
        reply?.topic === alice.replyTo,
        "the reply goes to the payload's replyTo, not to the Response Topic property",
        seen(reply?.topic, reply?.json ?? 'no reply'),
      );
    },
  },
]);
