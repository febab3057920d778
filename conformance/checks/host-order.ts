/** Host profile: the processing order of checks and of commands [HOST-ORDER-*], error replies [HOST-REPLY-*, ERR-CODE-3]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import { loadErrorRules } from '../core/requirements.ts';
import type { HostCheckContext } from '../host/context.ts';
import type { ObservedReply } from '../kit/observed.ts';
import { text } from '../kit/payloads.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.order.first-failing-check',
    profile: 'host',
    covers: ['HOST-ORDER-1'],
    description: 'A message failing several checks gets the error of the first check of the processing order.',
    async run(ctx, t) {
      const { sid, owner: alice, bob, carol } = await ctx.cast({ bob: 'viewer', carol: 'outsider' });
      const expect = (reply: ObservedReply, code: string, what: string) => t.errorCode('HOST-ORDER-1', reply, code, what, alice.replyTo);
      expect(
        await alice.command(sid, 'message.teleport', {}, { raw: { v: 2 } }),
        'VERSION_UNSUPPORTED',
        'v 2 with an unknown type (step 5 before 6)',
      );
      expect(
        await alice.command(sid, 'message.teleport', { msgId: 42 }),
        'UNKNOWN_TYPE',
        'an unknown type with odd data (step 6 before 7)',
      );
      expect(
        await alice.command(ctx.sid(), 'message.send', { msgId: 'm/1' }),
        'SCHEMA_INVALID',
        'invalid data for a session that does not exist (step 7 before 11)',
      );
      expect(
        await carol.command(sid, 'session.close', {}),
        'NOT_PARTICIPANT',
        'an owner-only command from a non-participant (step 13 before 14)',
      );
      const delta = { msgId: 'nope', i: 3, text: 'x' };
      expect(
        await bob.command(sid, 'message.delta', delta),
        'FORBIDDEN',
        "a viewer's chunk for a stream that is not open (step 14 before 16)",
      );
      const id = alice.nextId();
      await ctx.ok(alice, sid, 'message.send', text('m1'), { id });
      expect(
        await alice.command(sid, 'message.delta', { msgId: 'nope', i: 0, text: 'x' }, { id }),
        'ID_REUSED',
        'a reused id with another type that would also fail its type rules (step 10 before 16)',
      );
      await ctx.ok(alice, sid, 'session.close', {});
      const dup = await alice.command(sid, 'message.send', text('m1'), { id });
      t.expect(
        'HOST-ORDER-1',
        dup?.type === 'ack' && dup.data?.duplicate === true,
        'a repeat of an accepted command after the close gets its duplicate ack (step 10 before 12)',
        seen(alice.replyTo, dup, 'ack duplicate:true'),
      );
      expect(
        await carol.command(sid, 'message.send', text('m2')),
        'SESSION_CLOSED',
        "a non-participant's command to a closed session (step 12 before 13)",
      );
    },
  },
  {
    id: 'host.order.type-rules',
    profile: 'host',
    covers: ['HOST-ORDER-3'],
    description: 'A command breaking several rules of its type gets the error of the first rule in the type rule table.',
    async run(ctx, t) {
      const { sid, owner: alice, bob, carol, agent } = await ctx.cast({ bob: 'member', carol: 'approver', agent: 'agent' });
      const expect = (reply: ObservedReply, code: string, what: string) => t.errorCode('HOST-ORDER-3', reply, code, what);
      const head = await ctx.ok(alice, sid, 'message.send', text('used'));
      expect(
        await alice.command(sid, 'message.send', { ...text('used'), replyToSeq: head + 50 }),
        'SCHEMA_INVALID',
        'message.send with replyToSeq beyond the head and a used msgId (HOST-MSG-1 before HOST-STREAM-1)',
      );
      expect(
        await agent.command(sid, 'message.start', { msgId: 'used', role: 'agent', runId: 'none' }),
        'RUN_NOT_FOUND',
        'message.start naming no open run with a used msgId (HOST-STREAM-6 before HOST-STREAM-1)',
      );
      expect(
        await bob.command(sid, 'message.delta', { msgId: 'none', i: 0, text: 'x' }),
        'STREAM_NOT_OPEN',
        'a chunk of no open stream from a non-starter (HOST-STREAM-2 before HOST-STREAM-3)',
      );
      expect(
        await alice.command(sid, 'run.finish', { runId: 'none', status: 'completed' }),
        'RUN_NOT_FOUND',
        'run.finish of no open run from a non-starter (HOST-RUN-2 before HOST-RUN-4)',
      );
      await ctx.ok(agent, sid, 'input.request', { requestId: 'q1', prompt: 'ok?', to: [bob.principal] });
      expect(
        await agent.command(sid, 'input.request', { requestId: 'q1', prompt: 'x', runId: 'none' }),
        'RUN_NOT_FOUND',
        'input.request naming no open run with a used requestId (HOST-INPUT-11 before HOST-INPUT-1)',
      );
      expect(
        await agent.command(sid, 'input.request', { requestId: 'q1', prompt: 'x', answerSchema: { type: 'nope' } }),
        'CONFLICT',
        'input.request with a used requestId and an invalid schema (HOST-INPUT-1 before HOST-INPUT-2)',
      );
      await ctx.ok(bob, sid, 'input.answer', { requestId: 'q1', value: 1 });
      expect(
        await carol.command(sid, 'input.answer', { requestId: 'q1', value: 2 }),
        'CONFLICT',
        'an answer to a resolved request from a principal not in `to` (HOST-INPUT-5 before HOST-INPUT-6)',
      );
      expect(
        await alice.command(sid, 'participant.remove', { principal: `${alice.principal}-nobody` }),
        'CONFLICT',
        'removing a non-participant (CMD-PART-3)',
      );
    },
  },
  {
    id: 'host.order.commands-in-order',
    profile: 'host',
    covers: ['HOST-ORDER-2'],
    description: 'Commands one sender publishes back to back are appended in the order they were published.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      const ids: string[] = [];
      const sends: Promise<ObservedReply>[] = [];
      for (let i = 0; i < 30; i++) {
        const id = alice.nextId('o');
        ids.push(id);
        sends.push(alice.command(sid, 'message.send', text(`m${i}`), { id }));
      }
      await t.need('acks of 30 commands', () => Promise.all(sends));
      const log = await ctx.log(alice, sid);
      const order = log.filter((e) => ids.includes(e.cid as string)).map((e) => e.cid);
      t.equal('HOST-ORDER-2', order, ids, 'the events of 30 commands published back to back carry their cids in publish order', {
        payload: excerpt(order),
      });
    },
  },
  {
    id: 'host.errors.replies',
    profile: 'host',
    covers: ['HOST-REPLY-1', 'HOST-REPLY-4', 'ERR-CODE-3'],
    description: 'Refused commands and requests with a replyTo get an error reply with a code of the error table, its rule and a message.',
    async run(ctx, t) {
      const rules = loadErrorRules();
      if (rules.size === 0) t.notTestable('spec/v1/errors.md has no error table to compare with');
      const { sid, owner: alice, bob } = await ctx.cast({ bob: 'viewer' });
      const cases: [string, () => Promise<ObservedReply>, string][] = [
        ['SCHEMA_INVALID', () => alice.command(sid, 'message.send', { msgId: 'm1' }), 'message.send without parts'],
        ['UNKNOWN_TYPE', () => alice.command(sid, 'nope', {}), 'an unknown command type'],
        ['VERSION_UNSUPPORTED', () => alice.command(sid, 'message.send', text('m1'), { raw: { v: 3 } }), 'v 3'],
        ['SESSION_NOT_FOUND', () => alice.command(ctx.sid(), 'message.send', text('m1')), 'a command for a sid without log'],
        ['SESSION_EXISTS', () => bob.command(sid, 'session.create', {}), 'session.create of an existing sid'],
        ['FORBIDDEN', () => bob.command(sid, 'message.send', text('m1')), 'message.send from a viewer'],
        ['STREAM_NOT_OPEN', () => alice.command(sid, 'message.delta', { msgId: 'none', i: 0, text: 'x' }), 'a chunk of no open stream'],
        ['RUN_NOT_FOUND', () => alice.command(sid, 'run.cancel', { runId: 'none' }), 'run.cancel of no open run'],
        ['INPUT_NOT_FOUND', () => alice.command(sid, 'input.answer', { requestId: 'none', value: 1 }), 'an answer to no input request'],
        ['STEER_NOT_FOUND', () => alice.command(sid, 'steer.apply', { steerSeq: 1 }), 'steer.apply of a seq that is no steer'],
        ['SESSION_NOT_FOUND', () => alice.request('history.get', { sid: ctx.sid() }), 'history.get of a sid without log'],
      ];
      for (const [code, send, what] of cases) {
        const reply = await send();
        t.expect(
          'HOST-REPLY-1',
          reply?.type === 'error' && typeof reply.data?.message === 'string',
          `${what} gets an error reply with a message`,
          seen(alice.replyTo, reply),
        );
        if (reply?.type !== 'error') continue;
        const got = reply.data!.code as string;
        t.expect('ERR-CODE-3', rules.has(got), `the error code of ${what} is one of the error table`, seen(alice.replyTo, reply));
        // steer.apply from an owner may be FORBIDDEN first (the verb table), which is also a correct first failure.
        const acceptable = code === 'STEER_NOT_FOUND' ? [code, 'FORBIDDEN'] : [code];
        t.expect(
          'ERR-CODE-3',
          acceptable.includes(got),
          `${what} is refused with ${acceptable.join(' or ')}, the code whose row describes the case`,
          seen(alice.replyTo, reply, acceptable.join(' or ')),
        );
        const named = rules.get(got) ?? [];
        t.expect(
          'HOST-REPLY-4',
          named.includes(reply.data?.rule as string),
          `the error reply for ${what} (${got}) names a rule its row of the error table gives (${named.join(' or ')})`,
          seen(alice.replyTo, reply, `rule ${named.join(' or ')}`),
        );
      }
    },
  },
]);
