/** Agent and client profiles: the MQTT connection, what goes on the wire, and the host's liveness [MQTT-*, TOPIC-*, ENV-*, LIVE-EPOCH-*]. */
import type { Check } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { ImplCheckContext } from '../impl/context.ts';
import { isId, parseTopic } from '../../protocol/topics.ts';
import { check as validate } from '../../protocol/validate.ts';
import { COMMAND_TYPES, REQUEST_TYPES } from '../../schemas/src/index.ts';

type Profile = 'client' | 'agent';

const RETAINED_KINDS = new Set(['presence', 'agentState']);

export function connectionChecks(profile: Profile): Check<ImplCheckContext>[] {
  return [
    {
      id: `${profile}.connection.mqtt`,
      profile,
      covers: ['CONF-MQTT-1', 'MQTT-FIVE-1', 'MQTT-SESSION-1', 'MQTT-CLIENTID-1', 'MQTT-CLIENTID-3', 'TOPIC-QOS-2', 'CLIENT-HOST-1'],
      description:
        'The implementation speaks MQTT 3.1.1, connects with a stable {principal}.{device} client id and clean session 0 (also after a cut), subscribes with QoS 1, and reads the host state before its first command.',
      async run(ctx, t) {
        await ctx.connected();
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        await ctx.join(sid);
        await t.need('send', () =>
          ctx.adapter!.call(
            { op: 'send', sid, msgId: 'm1', text: 'hello', ref: 's1' },
            (e) => e.event === 'sent' && e.ref === 's1',
            'sent',
          ),
        );
        const first = ctx.wire('connect')[0];
        t.expect(
          'CONF-MQTT-1',
          first?.connect?.protocolVersion === 4,
          'the implementation connects with MQTT 3.1.1 (protocol level 4) and works',
          { actual: `protocol level ${first?.connect?.protocolVersion}` },
        );
        t.expect(
          'MQTT-FIVE-1',
          first?.connect?.protocolVersion === 4,
          'it needs no MQTT 5 feature (it works over an MQTT 3.1.1 connection)',
          { actual: `protocol level ${first?.connect?.protocolVersion}` },
        );
        t.expect('MQTT-CLIENTID-1', Boolean(first?.clientId) || first?.connect?.clean === true, 'no empty client id with clean session 0', {
          actual: `client id "${first?.clientId}", clean ${first?.connect?.clean}`,
        });
        t.expect(
          'MQTT-CLIENTID-3',
          first?.clientId?.startsWith(`${ctx.principal}.`) === true && isId(first.clientId.slice(ctx.principal.length + 1)),
          'the client id is {principal}.{device}',
          { actual: first?.clientId },
        );
        await ctx.cut(300);
        for (let i = 0; i < 50 && ctx.wire('connect').length < 2; i++) await ctx.sleep(100);
        const second = ctx.wire('connect')[1];
        t.expect(
          'MQTT-SESSION-1',
          first?.connect?.clean === false && second?.connect?.clean === false && second?.clientId === first?.clientId,
          'it connects with clean session 0 and the same client id after a cut',
          {
            actual: `first ${first?.clientId} clean ${first?.connect?.clean}; second ${second?.clientId ?? 'no reconnect within 5 s'} clean ${second?.connect?.clean}`,
          },
        );
        const subs = ctx.wire('subscribe');
        const low = subs.filter((s) => s.topic!.startsWith('tether/') && s.qos !== 1);
        t.expect('TOPIC-QOS-2', subs.length > 0 && low.length === 0, 'every subscription to a Tether topic asks for QoS 1', {
          payload: excerpt(subs.map((s) => `${s.topic} q${s.qos}`)),
        });
        const firstCommand = ctx.commands()[0];
        const hostSub = subs.find((s) => /^tether\/v1\/host\/(\+|[^/]+)\/state$/.test(s.topic!));
        t.expect(
          'CLIENT-HOST-1',
          hostSub !== undefined && (!firstCommand || hostSub.at < firstCommand.at),
          'it subscribes to the host state before its first command',
          { payload: excerpt(subs.map((s) => s.topic)) },
        );
      },
    },
    {
      id: `${profile}.connection.wire`,
      profile,
      covers: [
        'TOPIC-QOS-1',
        'TOPIC-RETAIN-1',
        'ENV-JSON-1',
        'ENV-VERSION-1',
        'ENV-REPLY-1',
        'ENV-REPLY-4',
        'ENV-ID-1',
        'ID-ALPHABET-1',
        'TOPIC-ID-1',
        'TOPIC-SUB-2',
        'VER-MINOR-2',
        'CLIENT-LIMIT-1',
        'TOPIC-SID-1',
      ],
      description:
        'Everything the implementation publishes is a QoS 1 JSON object with v 1, on topics of the map with the right RETAIN flag, with valid ids, a replyTo of its own, distinct command ids, and no payload above maxPayloadBytes.',
      async run(ctx, t) {
        const a = await ctx.connected();
        const alice = await ctx.peer('alice');
        const created = await t.need('create', () =>
          a.call(
            {
              op: 'create',
              title: 'made by the implementation',
              participants: [{ principal: alice.principal, role: 'member' }],
              ref: 'c1',
            },
            (e) => e.event === 'created' && e.ref === 'c1',
            'created',
          ),
        );
        const created2 = await t.need('create', () =>
          a.call({ op: 'create', ref: 'c2' }, (e) => e.event === 'created' && e.ref === 'c2', 'created'),
        );
        const sid = created.sid as string;
        await ctx.join(sid);
        for (let i = 0; i < 3; i++)
          await t.need('send', () =>
            a.call(
              { op: 'send', sid, msgId: `m${i}`, text: `hello ${i}`, ref: `s${i}` },
              (e) => e.event === 'sent' && e.ref === `s${i}`,
              'sent',
            ),
          );
        const max = Number(ctx.suite.limits.maxPayloadBytes ?? 65536);
        const big = await a
          .call(
            { op: 'send', sid, msgId: 'big', text: 'x'.repeat(max + 1000), ref: 'big' },
            (e) => (e.event === 'sent' || e.event === 'error') && e.ref === 'big',
            'an answer to an oversized send',
            8000,
          )
          .catch(() => undefined);
        const pubs = ctx.wire('publish').filter((p) => p.topic!.startsWith('tether/'));
        const oversized = pubs.filter((p) => p.payload!.length > max);
        t.expect(
          'CLIENT-LIMIT-1',
          oversized.length === 0,
          `no command or request above maxPayloadBytes (${max}) is published`,
          oversized[0] ? { topic: oversized[0].topic, actual: `${oversized[0].payload!.length} bytes` } : { payload: excerpt(big) },
        );
        for (const p of pubs) {
          const kind = parseTopic(p.topic!)?.kind;
          t.expect('TOPIC-QOS-1', p.qos === 1, `${p.topic} is published with QoS 1`, { topic: p.topic, actual: `QoS ${p.qos}` });
          t.expect('TOPIC-ID-1', kind !== undefined, `${p.topic} is a topic of the map, built from valid ids`, { topic: p.topic });
          t.expect(
            'TOPIC-RETAIN-1',
            p.retain === (kind !== undefined && RETAINED_KINDS.has(kind)) || (p.payload!.length === 0 && p.retain === true),
            `${p.topic} is published with RETAIN ${kind && RETAINED_KINDS.has(kind) ? 1 : 0}`,
            { topic: p.topic, actual: `RETAIN ${p.retain ? 1 : 0}` },
          );
          if (p.payload!.length === 0) continue;
          t.expect(
            'ENV-JSON-1',
            p.json !== undefined && !Array.isArray(p.json),
            `the payload on ${p.topic} is one JSON object`,
            seen(p.topic, p.payload!.toString()),
          );
          t.expect('ENV-VERSION-1', p.json?.v === 1, `the payload on ${p.topic} carries "v": 1`, seen(p.topic, p.json));
          if (kind === 'submit' || kind === 'requests') {
            const valid = validate(kind === 'submit' ? 'Command' : 'Request', p.json);
            t.expect(
              'ID-ALPHABET-1',
              valid.ok,
              `the ${kind === 'submit' ? 'command' : 'request'} validates (every id in the ID alphabet)`,
              seen(p.topic, p.json, valid.ok ? undefined : valid.message),
            );
            const types = (kind === 'submit' ? COMMAND_TYPES : REQUEST_TYPES) as readonly string[];
            t.expect(
              'VER-MINOR-2',
              types.includes(String(p.json?.type)),
              `${p.json?.type} is a type of protocol 1.0`,
              seen(p.topic, p.json),
            );
            const replyTo = p.json?.replyTo as string | undefined;
            if (kind === 'submit')
              t.expect('ENV-REPLY-4', typeof replyTo === 'string', 'the command carries replyTo', seen(p.topic, p.json));
            if (replyTo !== undefined) {
              const rt = parseTopic(replyTo);
              const subscribed = ctx
                .wire('subscribe')
                .some((s) => s.topic === replyTo || (s.topic!.endsWith('/#') && replyTo.startsWith(s.topic!.slice(0, -1))));
              t.expect(
                'ENV-REPLY-1',
                rt?.kind === 'replies' && rt.principal === ctx.principal && subscribed,
                'replyTo is a reply topic of its own principal that it subscribed to',
                seen(p.topic, { replyTo, subscribed }),
              );
            }
          }
        }
        const byId = new Map<string, Set<string>>();
        for (const p of ctx.commands()) {
          const key = `${p.topic!.split('/')[3]}\u0000${p.json?.id}`;
          if (!byId.has(key)) byId.set(key, new Set());
          byId.get(key)!.add(JSON.stringify([p.json?.type, p.json?.data]));
        }
        const reused = [...byId.entries()].filter(([, v]) => v.size > 1);
        t.expect(
          'ENV-ID-1',
          ctx.commands().length > 0 && reused.length === 0,
          'each distinct command has its own id (no id is used for two different commands in a session)',
          { payload: excerpt(reused.map(([k]) => k)) },
        );
        const allowed = [
          /^tether\/v1\/host\/\+\/state$/,
          new RegExp(`^tether/v1/users/${ctx.principal}/sessions/\\+$`),
          /^tether\/v1\/sessions\/[^/+#]+\/presence\/\+\/\+$/,
          /^tether\/v1\/agents\/\+\/state$/,
        ];
        const wild = ctx.wire('subscribe').filter((s) => /[+#]/.test(s.topic!) && !allowed.some((r) => r.test(s.topic!)));
        t.expect('TOPIC-SUB-2', wild.length === 0, 'no wildcard subscription beyond those of the subscription table', {
          payload: excerpt(wild.map((s) => s.topic)),
        });
        const sids = [created.sid, created2.sid].map(String);
        const strong = sids.every((s) => s.replace(/[^A-Za-z0-9]/g, '').length >= 24) && sids[0] !== sids[1];
        t.expect('TOPIC-SID-1', strong, 'sids it chooses look random enough for 96 bits (at least 24 letters or digits, never repeated)', {
          payload: excerpt(sids),
        });
      },
    },
    {
      id: `${profile}.connection.host-epochs`,
      profile,
      covers: ['LIVE-EPOCH-2', 'LIVE-EPOCH-3', 'VER-FEATURE-1', 'TOPIC-EMPTY-1'],
      description:
        'As an observer of host states, the implementation ignores states with a lower epoch and a non-offline state with the epoch of an offline one; unknown features and cleared retained states do not disturb it.',
      async run(ctx, t) {
        const a = await ctx.connected();
        const hostId = `cf-other-${ctx.suffix}`;
        const topic = `tether/v1/host/${hostId}/state`;
        const base = {
          v: 1,
          hostId,
          protocol: '1.0',
          features: ['history.compact', 'teleport.v9-preview'],
          limits: {
            maxPayloadBytes: 65536,
            maxIdLength: 64,
            commandsPerSecond: 500,
            maxHistoryPage: 1000,
            maxSessionsPerPrincipal: 1000,
            retentionEvents: 0,
          },
          time: new Date().toISOString(),
        };
        const seenHost = () => a.events.filter((e) => e.event === 'host' && e.hostId === hostId);
        const step = async (status: string, epoch: number, expectEvent: boolean) => {
          const n = seenHost().length;
          await ctx.suite.inject(topic, { ...base, status, epoch }, true);
          if (expectEvent)
            await a
              .waitFor((e) => e.event === 'host' && e.hostId === hostId && seenHost().length > n, 'a host event', 3000)
              .catch(() => undefined);
          else await ctx.sleep(400);
        };
        await step('online', 5, true);
        t.expect(
          'VER-FEATURE-1',
          seenHost().some((e) => e.status === 'online' && e.epoch === 5),
          'a host state with an unknown feature name is taken as it is (the unknown feature ignored)',
          { payload: excerpt(seenHost()) },
        );
        await step('offline', 4, false);
        t.expect('LIVE-EPOCH-2', !seenHost().some((e) => e.epoch === 4), 'a state with a lower epoch than seen before is ignored', {
          payload: excerpt(seenHost()),
        });
        await step('offline', 5, true);
        t.expect(
          'LIVE-EPOCH-3',
          seenHost().some((e) => e.status === 'offline' && e.epoch === 5),
          'the offline state with the current epoch is taken',
          { payload: excerpt(seenHost()) },
        );
        const before = seenHost().length;
        await step('online', 5, false);
        t.expect(
          'LIVE-EPOCH-3',
          seenHost().length === before,
          'an online state with the epoch of an offline state already seen is ignored',
          { payload: excerpt(seenHost()) },
        );
        await step('online', 6, true);
        t.expect(
          'LIVE-EPOCH-2',
          seenHost().at(-1)?.status === 'online' && seenHost().at(-1)?.epoch === 6,
          'a state with a higher epoch is taken',
          { payload: excerpt(seenHost()) },
        );
        await ctx.suite.inject(topic, Buffer.alloc(0), true);
        await ctx.sleep(200);
        t.expect(
          'TOPIC-EMPTY-1',
          a.running && !a.garbage.length,
          'a zero-length retained payload (a cleared host state) is taken as no value: the implementation keeps running',
          { actual: a.running ? 'running' : `exited; stderr: ${a.stderr.slice(-300)}` },
        );
        const alice = await ctx.peer('alice');
        const sid = await ctx.session(alice);
        const joined = await ctx
          .adapter!.call({ op: 'join', sid, ref: 'j' }, (e) => e.event === 'joined' && e.sid === sid, 'joined', 8000)
          .catch(() => undefined);
        t.expect('TOPIC-EMPTY-1', joined !== undefined, 'and it still works afterwards', { payload: excerpt(joined) });
      },
    },
  ];
}
