/** Host profile: envelopes, versions, schemas, unknown types and fields, reply addressing [ENV-*]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { filters, prefixes, topics } from '../../protocol/topics.ts';
import type { JsonObject } from '../kit/observed.ts';
import { text } from '../kit/payloads.ts';
import { expectQuiet } from '../kit/waits.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.envelope.version',
    profile: 'host',
    covers: ['ENV-VERSION-2'],
    description: 'A command or request with "v": 2 is refused with VERSION_UNSUPPORTED, not SCHEMA_INVALID.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      const cmd = await alice.command(sid, 'message.send', text('m1'), { raw: { v: 2 } });
      t.errorCode('ENV-VERSION-2', cmd, 'VERSION_UNSUPPORTED', 'a command with v 2', alice.replyTo);
      const id = alice.nextId('r');
      await alice.publish(topics.requests(alice.principal), { v: 2, id, type: 'history.get', replyTo: alice.replyTo, data: { sid } });
      const req = await alice.waitFor((m) => m.json?.re === id, 'reply to the v 2 request');
      t.errorCode('ENV-VERSION-2', req.json, 'VERSION_UNSUPPORTED', 'a request with v 2', req.topic);
    },
  },
  {
    id: 'host.envelope.schema',
    profile: 'host',
    covers: ['ENV-SCHEMA-1', 'ENV-RE-1'],
    description:
      'Envelopes and data that fail their schema are refused with SCHEMA_INVALID; replies echo the id in re ("" when unreadable).',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      const submit = topics.submit(sid, alice.principal);
      const command = (extra: JsonObject) => ({ v: 1, id: alice.nextId(), type: 'message.send', replyTo: alice.replyTo, ...extra });
      const cases: [string, JsonObject][] = [
        ['v as a string', command({ v: '1', data: text('m1') })],
        ['data as an array', command({ data: [] })],
        ['message.send without parts', command({ data: { msgId: 'm1', role: 'user' } })],
        ['msgId with a slash', command({ data: { msgId: 'm/1', role: 'user', parts: [{ kind: 'text', text: 'x' }] } })],
      ];
      for (const [what, cmd] of cases) {
        await alice.publish(submit, cmd);
        const r = await alice.waitFor((m) => m.json?.re === cmd.id, `reply to ${what}`);
        t.errorCode('ENV-SCHEMA-1', r.json, 'SCHEMA_INVALID', `a command with ${what}`, r.topic);
        t.equal('ENV-RE-1', r.json?.re, cmd.id, `the reply to a command with ${what} carries re = its id`, seen(r.topic, r.json));
      }
      const rid = alice.nextId('r');
      await alice.publish(topics.requests(alice.principal), {
        v: 1,
        id: rid,
        type: 'history.get',
        replyTo: alice.replyTo,
        data: { sid, after: -1 },
      });
      const r = await alice.waitFor((m) => m.json?.re === rid, 'reply to history.get with after -1');
      t.errorCode('ENV-SCHEMA-1', r.json, 'SCHEMA_INVALID', 'a history.get with after -1', r.topic);
      // An id that is not a string cannot be echoed: re is "".
      const since = alice.log.length;
      await alice.publish(submit, { v: 1, id: 42, type: 'message.send', replyTo: alice.replyTo, data: text('m2') });
      const noId = await alice.waitFor(
        (m) => m.topic === alice.replyTo && m.json?.type === 'error',
        'reply to a command with a numeric id',
        undefined,
        since,
      );
      t.errorCode('ENV-SCHEMA-1', noId.json, 'SCHEMA_INVALID', 'a command with a numeric id', noId.topic);
      t.equal('ENV-RE-1', noId.json?.re, '', 'the reply to a command without a readable string id has re ""', seen(noId.topic, noId.json));
    },
  },
  {
    id: 'host.envelope.unknown-type',
    profile: 'host',
    covers: ['ENV-TYPE-1'],
    description: 'Unknown command types on a submit topic and unknown request types on a request topic get UNKNOWN_TYPE.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      const r1 = await alice.command(sid, 'message.teleport', { msgId: 'm1' });
      t.errorCode('ENV-TYPE-1', r1, 'UNKNOWN_TYPE', 'command type message.teleport', alice.replyTo);
      const r2 = await alice.command(sid, 'history.get', { sid });
      t.errorCode('ENV-TYPE-1', r2, 'UNKNOWN_TYPE', 'a request type (history.get) sent as a command', alice.replyTo);
      const r3 = await alice.request('history.teleport', { sid });
      t.errorCode('ENV-TYPE-1', r3, 'UNKNOWN_TYPE', 'request type history.teleport', alice.replyTo);
      const r4 = await alice.request('message.send', text('m2'));
      t.errorCode('ENV-TYPE-1', r4, 'UNKNOWN_TYPE', 'a command type (message.send) sent as a request', alice.replyTo);
    },
  },
  {
    id: 'host.envelope.reply-to',
    profile: 'host',
    covers: ['ENV-REPLY-2', 'ENV-REPLY-3', 'HOST-REPLY-3'],
    description:
      'A replyTo naming another principal gets no reply anywhere and appends nothing; replies go only to the replyTo named; the host keeps serving.',
    async run(ctx, t) {
      const { sid, owner: alice, bob } = await ctx.cast({ bob: 'member' });
      const [a, b] = [alice.principal, bob.principal];
      const aliceOther = await ctx.peer(a);
      await ctx.subscribe(bob, filters.repliesOf(b));
      await ctx.subscribe(aliceOther, filters.repliesOf(a));
      const bobsReplies = topics.replies(b, bob.clientId);
      const badId = alice.nextId('bad');
      await alice.publish(topics.submit(sid, a), { v: 1, id: badId, type: 'message.send', replyTo: bobsReplies, data: text('m1') });
      const rid = alice.nextId('r');
      await alice.publish(topics.requests(a), { v: 1, id: rid, type: 'sessions.list', replyTo: bobsReplies, data: {} });
      // The host processes one sender's messages in order: once this reply is in, the others were handled.
      const next = await alice.command(sid, 'message.send', text('m2'));
      t.acked('HOST-REPLY-3', next, 'a valid command after one with a foreign replyTo', alice.replyTo);
      await expectQuiet(bob, () => true, 300);
      const leaked = [...bob.log, ...alice.log, ...aliceOther.log].filter((m) => m.json?.re === badId || m.json?.re === rid);
      t.expect(
        'ENV-REPLY-2',
        leaked.length === 0,
        'no reply is published for a command or request whose replyTo names another principal',
        leaked[0] ? seen(leaked[0].topic, leaked[0].json) : undefined,
      );
      t.equal(
        'ENV-REPLY-2',
        next?.data?.seq,
        2,
        'the command with a foreign replyTo appended nothing (the next command gets seq 2)',
        seen(alice.replyTo, next),
      );
      const log = await ctx.log(alice, sid);
      t.expect('ENV-REPLY-2', !log.some((e) => e.cid === badId), 'no event carries the refused command id', {
        payload: excerpt(log.map((e) => e.cid)),
      });
      // Replies to this check's own commands (other checks may share the principal): only on alice's replyTo.
      const mineIds = new Set(alice.log.filter((m) => m.topic === alice.replyTo).map((m) => m.json?.re));
      const stray = aliceOther.log.filter(
        (m) => m.topic.startsWith(prefixes.replies(a)) && m.topic !== alice.replyTo && mineIds.has(m.json?.re),
      );
      t.expect(
        'ENV-REPLY-3',
        stray.length === 0,
        'replies are published only on the replyTo of the command they answer',
        stray[0] ? seen(stray[0].topic, stray[0].json) : undefined,
      );
      const mine = aliceOther.log.filter((m) => m.topic === alice.replyTo);
      t.expect(
        'ENV-REPLY-3',
        mine.some((m) => m.json?.re === next.re),
        'a second client of the same principal subscribed to replies/{p}/# sees the replies on the named topic',
        { topic: alice.replyTo, payload: excerpt(mine.map((m) => m.json)) },
      );
    },
  },
  {
    id: 'host.envelope.unreadable',
    profile: 'host',
    covers: ['ENV-JSON-2', 'HOST-REPLY-3', 'HOST-REPLY-5'],
    description:
      'Payloads that are not one UTF-8 JSON object (garbage, bad UTF-8, a byte order mark, an array) are refused without any reply and append nothing; ' +
      'a replyTo that is not a reply topic of the sender gets nothing either.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      const a = alice.principal;
      await ctx.subscribe(alice, filters.notify(a));
      const submit = topics.submit(sid, a);
      const cmd = (id: string, extra: JsonObject = {}) => ({
        v: 1,
        id,
        type: 'message.send',
        replyTo: alice.replyTo,
        data: text(id),
        ...extra,
      });
      const ids = ['bom', 'utf8', 'array', 'garbage', 'notify'].map((x) => alice.nextId(x));
      const since = alice.log.length;
      await alice.publish(submit, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(cmd(ids[0])))]));
      const bad = Buffer.from(JSON.stringify(cmd(ids[1])));
      await alice.publish(
        submit,
        Buffer.concat([bad.subarray(0, bad.length - 3), Buffer.from([0xc3, 0x28]), bad.subarray(bad.length - 3)]),
      );
      await alice.publish(submit, JSON.stringify([cmd(ids[2])]));
      await alice.publish(submit, `{"v":1,"id":"${ids[3]}",`);
      await alice.publish(submit, cmd(ids[4], { replyTo: topics.notify(a), data: { msgId: 'm/x' } }));
      const next = await alice.command(sid, 'message.send', text('after'));
      t.acked('HOST-REPLY-3', next, 'a valid command after five unreadable or unaddressable ones', alice.replyTo);
      t.equal('ENV-JSON-2', next?.data?.seq, 2, 'none of them appended anything (the next command gets seq 2)', seen(alice.replyTo, next));
      const got = await expectQuiet(alice, () => true, 300, since);
      const about = (id: string) => got.filter((m) => m.payload.toString().includes(id));
      const names = ['a byte order mark', 'bad UTF-8', 'a JSON array', 'broken JSON'];
      for (let i = 0; i < 4; i++) {
        const r = about(ids[i]);
        t.expect(
          'ENV-JSON-2',
          r.length === 0,
          `a payload with ${names[i]} is refused as BAD_JSON: no ack and no reply (its replyTo is unreadable)`,
          r[0] ? seen(r[0].topic, r[0].json) : undefined,
        );
      }
      const r5 = about(ids[4]);
      t.expect(
        'HOST-REPLY-5',
        r5.length === 0,
        'no reply goes to a replyTo that is not a reply topic of the sender (here its own notify topic)',
        r5[0] ? seen(r5[0].topic, r5[0].json) : undefined,
      );
    },
  },
  {
    id: 'host.envelope.sender-and-unknown-fields',
    profile: 'host',
    covers: ['ENV-SENDER-1', 'ENV-CID-1', 'ENV-UNKNOWN-1', 'VER-COMPAT-3'],
    description: 'Sender comes from the topic, cid from the command id; unknown fields are accepted and left out of the event.',
    async run(ctx, t) {
      const { sid, owner: alice, bob } = await ctx.cast({ bob: 'member' }, { follow: true });
      const [a, b] = [alice.principal, bob.principal];
      const id = alice.nextId();
      const reply = await alice.command(
        sid,
        'message.send',
        { ...text('m1'), sender: b, by: b, xExtra: { deep: [1, 2] } },
        { id, raw: { sender: b, principal: b, xEnvelope: true } },
      );
      t.acked('ENV-UNKNOWN-1', reply, 'a command with unknown fields in the envelope and in data', alice.replyTo);
      t.acked('VER-COMPAT-3', reply, 'a command with fields this version does not define', alice.replyTo);
      if (reply.type !== 'ack') return;
      const ev = await ctx.waitSeq(alice, sid, reply.data!.seq!);
      const topic = topics.events(sid);
      t.equal(
        'ENV-SENDER-1',
        ev.sender,
        a,
        'the event sender is the principal of the submit topic, not a sender field of the payload',
        seen(topic, ev),
      );
      t.equal('ENV-CID-1', ev.cid, id, 'the event cid is the command id', seen(topic, ev));
      const leaked = ['sender', 'by', 'xExtra'].filter((k) => k in (ev.data ?? {}));
      t.expect(
        'VER-COMPAT-3',
        leaked.length === 0,
        'fields the protocol does not define are left out of the appended event',
        seen(topic, ev, `data without ${leaked.join(', ')}`),
      );
    },
  },
]);
