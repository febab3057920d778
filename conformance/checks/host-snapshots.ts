/** Host profile: retained session state and host liveness [HOST-SNAPSHOT-*, TOPIC-RETAIN-1, LIVE-*, HOST-LIVE-2]. */
import { defineChecks } from '../core/check.ts';
import type { Probe } from '../core/probe.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { text } from '../kit/payloads.ts';
import { modelOf, stateDiff } from '../host/model.ts';
import { check as validate } from '../../protocol/validate.ts';
import { silentSession } from '../harness/silent-session.ts';
import type { ObservedState } from '../kit/observed.ts';
import { inFlight } from '../kit/waits.ts';
import { topics } from '../../protocol/topics.ts';

/** What a command returned, or why it threw. */
type Outcome = { type?: unknown } | undefined;

/** A peer following the host's state topic, and the retained birth it got. */
async function hostBirth(ctx: HostCheckContext, t: Probe, principal: string) {
  const watcher = await ctx.peer(principal);
  const topic = topics.hostState(ctx.hostId);
  await ctx.subscribe(watcher, topic);
  const birth = await t.need('the retained host state', () =>
    watcher.waitFor((m) => m.topic === topic && m.json?.status === 'online', 'host birth', 2000),
  );
  return { watcher, topic, birth };
}

export default defineChecks<HostCheckContext>([
  {
    id: 'host.snapshot.session-state',
    profile: 'host',
    covers: ['HOST-SNAPSHOT-1', 'HOST-SNAPSHOT-2', 'HOST-SNAPSHOT-4', 'HOST-SNAPSHOT-5', 'TOPIC-RETAIN-1'],
    description:
      'After every structural change a newcomer gets a retained SessionState that matches the log at its headSeq; published states never go back; each follows its batch.',
    async run(ctx, t) {
      const [a, b, bot] = ctx.principals(3);
      const alice = await ctx.peer(a);
      const agent = await ctx.peer(bot);
      const sid = await ctx.session(alice, [{ principal: bot, role: 'agent' }]);
      await ctx.follow(alice, sid);
      const steps: [string, () => Promise<number>][] = [
        ['participant.add', () => ctx.ok(alice, sid, 'participant.add', { principal: b, role: 'member' })],
        ['run.start', () => ctx.ok(agent, sid, 'run.start', { runId: 'r1', title: 'job' })],
        ['message.start', () => ctx.ok(agent, sid, 'message.start', { msgId: 's1', role: 'agent', runId: 'r1' })],
        ['steer', () => ctx.ok(alice, sid, 'steer', { runId: 'r1', text: 'faster' })],
        ['input.request', () => ctx.ok(agent, sid, 'input.request', { requestId: 'q1', prompt: 'ok?' })],
        ['input.answer', () => ctx.ok(alice, sid, 'input.answer', { requestId: 'q1', value: true })],
        ['message.complete', () => ctx.ok(agent, sid, 'message.complete', { msgId: 's1' })],
        ['run.finish', () => ctx.ok(agent, sid, 'run.finish', { runId: 'r1', status: 'completed', summary: 'done' })],
        ['participant.remove', () => ctx.ok(alice, sid, 'participant.remove', { principal: b })],
        ['session.close', () => ctx.ok(alice, sid, 'session.close', {})],
      ];
      const topic = topics.sessionState(sid);
      let missing = 0;
      for (const [what, step] of steps) {
        if (missing >= 2) {
          t.note(`stopped after ${missing} steps without a retained state`);
          break;
        }
        await ctx.ok(alice, sid, 'message.send', text(`noise-${what}`)).catch(() => 0);
        const seq = await step();
        const newcomer = await ctx.peer(a);
        await ctx.subscribe(newcomer, topic);
        let got: ObservedState | undefined;
        try {
          got = (await newcomer.waitFor((m) => m.topic === topic && (m.json?.headSeq ?? 0) >= seq, `retained state after ${what}`, 1500))
            .json as ObservedState | undefined;
        } catch {
          got = newcomer.on(topic).at(-1)?.json as ObservedState | undefined;
        }
        const ok = t.expect(
          'HOST-SNAPSHOT-1',
          got !== undefined && Number(got.headSeq) >= seq,
          `after ${what} (seq ${seq}) a new subscriber gets a state with headSeq >= ${seq}`,
          seen(topic, got ?? 'no state within 2 s'),
        );
        t.expect(
          'TOPIC-RETAIN-1',
          newcomer.on(topic).length > 0,
          `the session state after ${what} is retained (a new subscriber receives it)`,
          seen(topic, got ?? 'nothing retained'),
        );
        await newcomer.close();
        if (!ok) {
          missing++;
          continue;
        }
        const log = await ctx.log(alice, sid);
        const diff = stateDiff(
          got!,
          modelOf(
            sid,
            log.filter((e) => Number(e.seq) <= Number(got!.headSeq)),
          ),
        );
        t.expect(
          'HOST-SNAPSHOT-2',
          diff.length === 0,
          `the state after ${what} describes the session exactly as the log at headSeq ${got!.headSeq}`,
          { topic, payload: excerpt(got), actual: excerpt(diff) },
        );
      }
      const states = alice.on(topic).filter((m) => m.json);
      const heads = states.map((m) => m.json!.headSeq as number);
      t.expect(
        'HOST-SNAPSHOT-4',
        heads.every((h, i) => i === 0 || h >= heads[i - 1]),
        'the headSeq of published states never decreases',
        { topic, payload: excerpt(heads) },
      );
      const batches = alice.on(topics.events(sid));
      for (const m of states) {
        const head = m.json!.headSeq as number;
        const batch = batches.find((b) => (b.json?.events ?? []).some((e) => e.seq === head));
        if (head <= 1) continue;
        t.expect(
          'HOST-SNAPSHOT-5',
          batch !== undefined && (batch.at ?? 0) <= (m.at ?? 0),
          `the state at headSeq ${head} arrived after the batch holding seq ${head}`,
          { topic, payload: excerpt(m.json) },
        );
      }
    },
  },
  {
    id: 'host.live.birth',
    profile: 'host',
    covers: ['HOST-LIVE-1', 'VER-MINOR-1', 'HOST-LIMIT-2'],
    description: 'The retained host state is a valid online HostState with epoch, protocol 1.x, features and every limit.',
    async run(ctx, t) {
      const [a] = ctx.principals(1);
      const p = await ctx.peer(a);
      const topic = topics.hostState(ctx.hostId);
      await ctx.subscribe(p, topic);
      const m = await p.waitFor((x) => x.topic === topic, 'retained host state', 2000).catch(() => undefined);
      const v = validate('HostState', m?.json);
      t.expect(
        'HOST-LIVE-1',
        v.ok && m!.json!.status === 'online' && m!.retain === true,
        'a retained, valid HostState with status online',
        seen(topic, m?.json ?? 'nothing retained', v.ok ? undefined : v.message),
      );
      t.expect(
        'HOST-LIVE-1',
        Number.isInteger(m?.json?.epoch) && Number(m!.json!.epoch) >= 1 && Array.isArray(m?.json?.features),
        'it carries the epoch and the features',
        seen(topic, m?.json),
      );
      t.expect('VER-MINOR-1', /^1\.[0-9]+$/.test(String(m?.json?.protocol)), 'protocol is a 1.x version', seen(topic, m?.json));
      const names = ['maxPayloadBytes', 'maxIdLength', 'commandsPerSecond', 'maxHistoryPage', 'maxSessionsPerPrincipal', 'retentionEvents'];
      const missing = names.filter((n) => !Number.isInteger((m?.json?.limits as Record<string, unknown> | undefined)?.[n]));
      t.expect(
        'HOST-LIMIT-2',
        missing.length === 0,
        'the birth advertises every limit of the limits table',
        seen(topic, m?.json?.limits, `no missing limit (missing: ${missing.join(', ')})`),
      );
    },
  },
  {
    id: 'host.live.will',
    profile: 'host',
    covers: ['HOST-LIVE-2', 'MQTT-CLIENTID-2', 'LIVE-EPOCH-1', 'MQTT-SESSION-1', 'MQTT-SESSION-3'],
    description:
      "When the host's MQTT session (client id tether-host-{hostId}) is taken over, its Will marks it offline with its epoch; it returns with a greater epoch, subscribed again, and processes the command the broker kept for it.",
    exclusive: true,
    timeoutMs: 30000,
    async run(ctx, t) {
      const [a, b] = ctx.principals(2);
      const { watcher, topic, birth } = await hostBirth(ctx, t, a);
      if (birth.json?.embedded === true)
        t.skip('the host is embedded in the broker (HOST-EMBED-1): it has no MQTT session and no Will; host.live.embedded checks it');
      const epoch = birth.json!.epoch as number;
      const sid = await ctx.session(watcher);
      const since = watcher.log.length;
      const pw = ctx.target.opts.users?.find((u) => u.name === b)?.password;
      // Take over the host's MQTT session with a connection that never acknowledges: a command
      // published now stays in flight in that session and must reach the host when it returns.
      const intruder = await t.need(`a connection with client id tether-host-${ctx.hostId}`, () =>
        silentSession(ctx.target.opts.url, {
          clientId: `tether-host-${ctx.hostId}`,
          username: b,
          password: pw,
          ca: ctx.target.opts.mqtt?.ca as Buffer | undefined,
        }),
      );
      if (intruder.returnCode !== 0)
        t.notTestable(
          `the broker refused the client id tether-host-${ctx.hostId} (CONNACK ${intruder.returnCode}; SEC-CLIENTID-1 allows that), so the host's connection cannot be cut through the protocol`,
        );
      const queuedId = watcher.nextId('queued');
      const replyP = watcher.command(sid, 'message.send', text('kept by the broker'), { id: queuedId }).catch(() => undefined);
      await inFlight(300);
      intruder.drop();
      const will = await watcher
        .waitFor((m) => m.topic === topic && m.json?.status === 'offline', "the host's Will", 1500, since)
        .catch(() => undefined);
      const reborn = await watcher
        .waitFor((m) => m.topic === topic && m.json?.status === 'online' && m.json?.epoch !== epoch, "the host's new birth", 20000, since)
        .catch(() => undefined);
      t.expect(
        'MQTT-CLIENTID-2',
        will !== undefined || reborn !== undefined,
        `taking over client id tether-host-${ctx.hostId} cut the host's connection (a Will or a new birth followed)`,
        seen(topic, (will ?? reborn)?.json ?? 'no new state within 20 s'),
      );
      if (will)
        t.expect(
          'HOST-LIVE-2',
          will.json?.epoch === epoch && validate('HostState', will.json).ok,
          `the Will is a HostState offline with the birth's epoch ${epoch}`,
          seen(topic, will.json),
        );
      else
        t.expect(
          'HOST-LIVE-2',
          false,
          "Not testable: the broker published no Will when the session was taken over (Mosquitto does not), so the host's Will was not observable",
          { topic },
        );
      t.expect(
        'LIVE-EPOCH-1',
        reborn !== undefined && Number(reborn.json!.epoch) > epoch,
        `the new connection's birth has an epoch above ${epoch}`,
        seen(topic, reborn?.json ?? 'no new birth within 20 s'),
      );
      const reply = await replyP;
      if (intruder.received === 0 && reply?.type !== 'ack')
        t.expect(
          'MQTT-SESSION-1',
          false,
          "Not testable: the broker did not hand the host's MQTT session (its subscriptions) to the takeover connection, so no command could be kept for the host",
          { topic: topics.submit(sid, a) },
        );
      else
        t.expect(
          'MQTT-SESSION-1',
          reply?.type === 'ack',
          "a command the broker kept in the host's MQTT session is processed when the host returns (stable client id, clean session 0)",
          seen(watcher.replyTo, reply ?? 'no reply'),
        );
      const after = await watcher.command(sid, 'message.send', text('after the return')).catch((err: Error) => ({ error: err.message }));
      t.expect(
        'MQTT-SESSION-3',
        (after as Outcome)?.type === 'ack',
        'the host serves new commands after reconnecting (it subscribed again)',
        seen(watcher.replyTo, after),
      );
    },
  },
  {
    id: 'host.live.embedded',
    profile: 'host',
    covers: ['HOST-EMBED-1', 'HOST-EMBED-2'],
    description:
      'A host that says it is embedded in the broker (HostState embedded: true) has its client id tether-host-{hostId} refused with CONNACK 2, and keeps serving commands after the attempt.',
    async run(ctx, t) {
      const [a, b] = ctx.principals(2);
      const { watcher, topic, birth } = await hostBirth(ctx, t, a);
      if (birth.json?.embedded !== true)
        t.skip('the host does not say it is embedded (no embedded: true in its HostState); host.live.will checks its MQTT session');
      t.expect(
        'HOST-EMBED-1',
        validate('HostState', birth.json).ok && birth.json?.embedded === true,
        'the birth is a valid HostState with embedded: true',
        seen(topic, birth.json),
      );
      const pw = ctx.target.opts.users?.find((u) => u.name === b)?.password;
      const intruder = await silentSession(ctx.target.opts.url, {
        clientId: `tether-host-${ctx.hostId}`,
        username: b,
        password: pw,
        ca: ctx.target.opts.mqtt?.ca as Buffer | undefined,
      }).catch((err: Error) => ({ returnCode: -1, received: 0, drop: () => {}, error: err.message }));
      intruder.drop();
      t.expect(
        'HOST-EMBED-2',
        intruder.returnCode === 2,
        `a CONNECT with client id tether-host-${ctx.hostId} is refused with return code 2`,
        { expected: 'CONNACK 2', actual: `CONNACK ${intruder.returnCode}` },
      );
      const sid = await ctx.session(watcher);
      const after = await watcher.command(sid, 'message.send', text('after the attempt')).catch((err: Error) => ({ error: err.message }));
      t.expect(
        'HOST-EMBED-1',
        (after as Outcome)?.type === 'ack',
        'the host still serves commands after the attempt',
        seen(watcher.replyTo, after),
      );
    },
  },
]);
