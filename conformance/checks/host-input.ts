/** Host profile: input requests, answers and deadlines [INPUT-*]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { HOST_SENDER } from '../../protocol/constants.ts';
import { topics } from '../../protocol/topics.ts';
import type { CommandDataOf } from '../../schemas/src/index.ts';
import { text } from '../kit/payloads.ts';
import { stateAt } from '../kit/state.ts';
import { expectQuiet, pastInstant } from '../kit/waits.ts';
import type { Peer } from '../wire-peer.ts';

const approve = { type: 'object', properties: { approve: { type: 'boolean' } }, required: ['approve'] };

/** The host's clock, read from the time of a fresh event, so deadlines do not depend on clock skew. */
async function hostNow(ctx: HostCheckContext, peer: Peer, sid: string): Promise<number> {
  const seq = await ctx.ok(peer, sid, 'message.send', text(`clock-${Date.now()}`));
  const [e] = await ctx.log(peer, sid, seq - 1);
  const host = Date.parse(String(e?.time ?? ''));
  return Number.isFinite(host) ? Math.max(host, Date.now()) : Date.now();
}

/** A deadline scenario: returns the events appended after the request, waiting past the deadline. */
async function deadlineScenario(ctx: HostCheckContext, onTimeout: CommandDataOf<'input.request'>['onTimeout'], waitExtraMs: number) {
  const { sid, owner: alice, bob, agent } = await ctx.cast({ bob: 'member', agent: 'agent' }, { follow: true });
  const now = await hostNow(ctx, alice, sid);
  const deadline = new Date(now + 700).toISOString();
  const reqSeq = await ctx.ok(agent, sid, 'input.request', { requestId: 'q1', prompt: 'proceed?', deadline, onTimeout });
  return { alice, bob, agent, sid, deadline, reqSeq, wait: () => pastInstant(Date.parse(deadline), waitExtraMs) };
}

export default defineChecks<HostCheckContext>([
  {
    id: 'host.input.request',
    profile: 'host',
    covers: [
      'HOST-INPUT-9',
      'HOST-INPUT-2',
      'HOST-INPUT-3',
      'HOST-INPUT-10',
      'HOST-INPUT-11',
      'HOST-INPUT-12',
      'HOST-INPUT-1',
      'HOST-INPUT-14',
    ],
    description:
      'input.requested gets the default onTimeout and risk; invalid schemas, past deadlines, invalid defaults, unknown runs and reused requestIds are refused; open requests are listed in openInputs.',
    async run(ctx, t) {
      const { sid, owner: alice, bob, agent } = await ctx.cast({ bob: 'member', agent: 'agent' }, { follow: true });
      const stateTopic = topics.sessionState(sid);
      const seq = await ctx.ok(agent, sid, 'input.request', { requestId: 'q1', prompt: 'which one?' });
      const [ev] = await ctx.log(alice, sid, seq - 1);
      t.expect(
        'HOST-INPUT-9',
        JSON.stringify(ev?.data?.onTimeout) === '{"policy":"wait"}' && ev?.data?.risk === 'low',
        'omitted onTimeout and risk are filled with {"policy":"wait"} and "low"',
        seen(undefined, ev),
      );
      const st = await stateAt(alice, sid, seq);
      t.expect(
        'HOST-INPUT-12',
        (st?.openInputs ?? []).some((i) => i.requestId === 'q1' && i.seq === seq),
        'the open request is listed in openInputs with its seq',
        seen(stateTopic, st),
      );
      t.errorCode(
        'HOST-INPUT-2',
        await agent.command(sid, 'input.request', { requestId: 'q2', prompt: 'x', answerSchema: { type: 'no-such-type' } }),
        'SCHEMA_INVALID',
        'an answerSchema that is not a valid JSON Schema',
      );
      t.errorCode(
        'HOST-INPUT-14',
        await agent.command(sid, 'input.request', {
          requestId: 'q6',
          prompt: 'x',
          answerSchema: { $ref: 'http://127.0.0.1:9/schema.json' },
        }),
        'SCHEMA_INVALID',
        'an answerSchema with a $ref outside itself',
      );
      t.errorCode(
        'HOST-INPUT-14',
        await agent.command(sid, 'input.request', { requestId: 'q7', prompt: 'x', answerSchema: { $ref: 'other.json#/x' } }),
        'SCHEMA_INVALID',
        'an answerSchema with a relative $ref to another document',
      );
      t.acked(
        'HOST-INPUT-14',
        await agent.command(sid, 'input.request', {
          requestId: 'q8',
          prompt: 'x',
          answerSchema: { $defs: { yes: { type: 'boolean' } }, $ref: '#/$defs/yes' },
        }),
        'an answerSchema whose $ref points inside itself',
        agent.replyTo,
      );
      t.errorCode(
        'HOST-INPUT-3',
        await agent.command(sid, 'input.request', { requestId: 'q3', prompt: 'x', deadline: new Date(Date.now() - 60_000).toISOString() }),
        'SCHEMA_INVALID',
        'a deadline in the past',
      );
      t.errorCode(
        'HOST-INPUT-10',
        await agent.command(sid, 'input.request', {
          requestId: 'q4',
          prompt: 'x',
          answerSchema: approve,
          deadline: new Date(Date.now() + 3600_000).toISOString(),
          onTimeout: { policy: 'default', value: 'yes' },
        }),
        'SCHEMA_INVALID',
        'a default value that fails the answerSchema',
      );
      t.errorCode(
        'HOST-INPUT-11',
        await agent.command(sid, 'input.request', { requestId: 'q5', prompt: 'x', runId: 'nope' }),
        'RUN_NOT_FOUND',
        'an input.request naming a run that does not exist',
      );
      t.errorCode(
        'HOST-INPUT-1',
        await agent.command(sid, 'input.request', { requestId: 'q1', prompt: 'again' }),
        'CONFLICT',
        'a second input.request with the requestId of an open request',
      );
      const answered = await ctx.ok(bob, sid, 'input.answer', { requestId: 'q1', value: 'the first' });
      const st2 = await stateAt(alice, sid, answered);
      t.expect(
        'HOST-INPUT-12',
        Number(st2?.headSeq) >= answered && !(st2?.openInputs ?? []).some((i) => i.requestId === 'q1'),
        'the resolved request leaves openInputs',
        seen(stateTopic, st2),
      );
      t.errorCode(
        'HOST-INPUT-1',
        await agent.command(sid, 'input.request', { requestId: 'q1', prompt: 'once more' }),
        'CONFLICT',
        'an input.request reusing the requestId of a resolved request',
      );
    },
  },
  {
    id: 'host.input.answer',
    profile: 'host',
    covers: ['HOST-INPUT-4', 'HOST-INPUT-6', 'HOST-INPUT-7', 'HOST-INPUT-13', 'HOST-INPUT-15'],
    description:
      'Answers to unknown requests, from principals outside `to`, or failing the answerSchema are refused; an accepted answer appends input.resolved with outcome, value, decidedBy, by and requestSeq.',
    async run(ctx, t) {
      const { sid, owner: alice, bob, carol, agent } = await ctx.cast({ bob: 'member', carol: 'approver', agent: 'agent' });
      const [b, c] = [bob.principal, carol.principal];
      t.errorCode(
        'HOST-INPUT-4',
        await bob.command(sid, 'input.answer', { requestId: 'none', value: 1 }),
        'INPUT_NOT_FOUND',
        'an answer to a requestId the session never had',
      );
      await ctx.ok(agent, sid, 'input.request', { requestId: 'only-carol', prompt: 'carol?', to: [c] });
      t.errorCode(
        'HOST-INPUT-6',
        await bob.command(sid, 'input.answer', { requestId: 'only-carol', value: 'me' }),
        'FORBIDDEN',
        'an answer from a member not listed in `to`',
      );
      t.errorCode(
        'HOST-INPUT-6',
        await alice.command(sid, 'input.answer', { requestId: 'only-carol', value: 'me' }),
        'FORBIDDEN',
        'an answer from the owner not listed in `to`',
      );
      t.acked(
        'HOST-INPUT-6',
        await carol.command(sid, 'input.answer', { requestId: 'only-carol', value: 'carol' }),
        'an answer from the principal listed in `to`',
        carol.replyTo,
      );
      const reqSeq = await ctx.ok(agent, sid, 'input.request', {
        requestId: 'q1',
        prompt: 'approve?',
        answerSchema: approve,
        risk: 'high',
      });
      t.errorCode(
        'HOST-INPUT-7',
        await bob.command(sid, 'input.answer', { requestId: 'q1', value: { approve: 'yes' } }),
        'ANSWER_INVALID',
        'an answer failing the answerSchema',
      );
      const id = bob.nextId();
      const ack = await bob.command(sid, 'input.answer', { requestId: 'q1', value: { approve: true } }, { id });
      if (!t.acked('HOST-INPUT-13', ack, 'a valid answer', bob.replyTo)) return;
      const [ev] = await ctx.log(alice, sid, ack.data!.seq! - 1);
      t.expect(
        'HOST-INPUT-13',
        ev?.type === 'input.resolved' && ev.sender === b && ev.cid === id,
        'the answer appends input.resolved from the answering principal',
        seen(undefined, ev),
      );
      const fmt = { type: 'string', format: 'email' };
      const withFormat = await agent.command(sid, 'input.request', {
        requestId: 'mail',
        prompt: 'your mail?',
        answerSchema: fmt,
        deadline: new Date(Date.now() + 3600_000).toISOString(),
        onTimeout: { policy: 'default', value: 'not an address' },
      });
      t.acked(
        'HOST-INPUT-15',
        withFormat,
        "an input.request whose default value does not match the schema's format (an annotation)",
        agent.replyTo,
      );
      t.acked(
        'HOST-INPUT-15',
        await bob.command(sid, 'input.answer', { requestId: 'mail', value: 'still not an address' }),
        "an answer that does not match the schema's format",
        bob.replyTo,
      );
      t.equal(
        'HOST-INPUT-13',
        ev?.data,
        { requestId: 'q1', outcome: 'answered', value: { approve: true }, decidedBy: 'person', by: b, requestSeq: reqSeq },
        'input.resolved carries outcome answered, the value, decidedBy person, by and requestSeq',
        seen(undefined, ev),
      );
    },
  },
  {
    id: 'host.input.first-answer-wins',
    profile: 'host',
    covers: ['HOST-INPUT-5'],
    description: 'Of two concurrent answers exactly one is accepted and the other gets CONFLICT; only one input.resolved is ever appended.',
    async run(ctx, t) {
      const {
        sid,
        owner: alice,
        bob,
        carol,
        agent,
      } = await ctx.cast({ bob: 'member', carol: 'approver', agent: 'agent' }, { follow: true });
      await ctx.ok(agent, sid, 'input.request', { requestId: 'race', prompt: 'who is first?' });
      const [rb, rc] = await Promise.all([
        bob.command(sid, 'input.answer', { requestId: 'race', value: 'bob' }),
        carol.command(sid, 'input.answer', { requestId: 'race', value: 'carol' }),
      ]);
      const acks = [rb, rc].filter((r) => r?.type === 'ack');
      const conflicts = [rb, rc].filter((r) => r?.type === 'error' && r.data?.code === 'CONFLICT');
      t.expect(
        'HOST-INPUT-5',
        acks.length === 1 && conflicts.length === 1,
        'of two concurrent answers one is acked and the other refused with CONFLICT',
        { payload: excerpt([rb, rc]) },
      );
      const late = await alice.command(sid, 'input.answer', { requestId: 'race', value: 'alice' });
      t.errorCode('HOST-INPUT-5', late, 'CONFLICT', 'a third, later answer', alice.replyTo);
      const head = await ctx.ok(alice, sid, 'message.send', text('after'));
      await ctx.waitSeq(alice, sid, head);
      await expectQuiet(alice, topics.events(sid), 200);
      const live = alice.events(sid).filter((e) => e.type === 'input.resolved' && e.data?.requestId === 'race');
      t.expect('HOST-INPUT-5', live.length === 1, 'exactly one input.resolved for the request is published', {
        topic: topics.events(sid),
        payload: excerpt(live),
      });
      const log = await ctx.log(alice, sid);
      t.expect('HOST-INPUT-5', log.filter((e) => e.type === 'input.resolved').length === 1, 'the log holds exactly one input.resolved', {
        payload: excerpt(log.filter((e) => e.type === 'input.resolved')),
      });
    },
  },
  {
    id: 'host.input.deadline-default',
    profile: 'host',
    covers: ['INPUT-DEADLINE-1', 'INPUT-DEADLINE-4', 'ENV-SENDER-2'],
    description:
      'At the deadline of a request with policy default the host appends input.resolved (outcome default, the value, decidedBy timeout, by and sender @host, no cid), within a second.',
    timeoutMs: 15000,
    async run(ctx, t) {
      const s = await deadlineScenario(ctx, { policy: 'default', value: { approve: false } }, 0);
      // The peer waits up to its reply timeout (5 s by default), well past the deadline 1 s ahead.
      const ev = await s.alice.waitForEvent(s.sid, (e) => e.type === 'input.resolved', 'the timeout resolution').catch(() => undefined);
      t.equal(
        'INPUT-DEADLINE-1',
        ev?.data,
        { requestId: 'q1', outcome: 'default', value: { approve: false }, decidedBy: 'timeout', by: HOST_SENDER, requestSeq: s.reqSeq },
        'input.resolved with outcome default, the value, decidedBy timeout, by @host',
        seen(topics.events(s.sid), ev ?? 'no input.resolved within 5 s of the deadline'),
      );
      t.expect(
        'ENV-SENDER-2',
        ev?.sender === HOST_SENDER && ev !== undefined && !('cid' in ev),
        'the host-originated event has sender @host and no cid',
        seen(topics.events(s.sid), ev),
      );
      const late = ev ? Date.parse(String(ev.time)) - Date.parse(s.deadline) : Infinity;
      t.expect(
        'INPUT-DEADLINE-4',
        late <= 1000,
        `the resolution was appended within one second of the deadline (${late} ms)`,
        seen(undefined, ev),
      );
      const after = await s.bob.command(s.sid, 'input.answer', { requestId: 'q1', value: { approve: true } });
      t.errorCode('INPUT-DEADLINE-1', after, 'CONFLICT', 'an answer after the timeout resolution', s.bob.replyTo);
    },
  },
  {
    id: 'host.input.deadline-fail',
    profile: 'host',
    covers: ['INPUT-DEADLINE-2'],
    description:
      'At the deadline of a request with policy fail the host appends input.resolved with outcome failed, no value, decidedBy timeout, by and sender @host.',
    timeoutMs: 15000,
    async run(ctx, t) {
      const s = await deadlineScenario(ctx, { policy: 'fail' }, 0);
      const ev = await s.alice.waitForEvent(s.sid, (e) => e.type === 'input.resolved', 'the timeout resolution').catch(() => undefined);
      t.equal(
        'INPUT-DEADLINE-2',
        ev?.data,
        { requestId: 'q1', outcome: 'failed', decidedBy: 'timeout', by: HOST_SENDER, requestSeq: s.reqSeq },
        'input.resolved with outcome failed, no value, decidedBy timeout, by @host',
        seen(topics.events(s.sid), ev ?? 'no input.resolved after the deadline'),
      );
      t.expect('INPUT-DEADLINE-2', ev?.sender === HOST_SENDER, "the resolution's sender is @host", seen(undefined, ev));
    },
  },
  {
    id: 'host.input.deadline-wait',
    profile: 'host',
    covers: ['INPUT-DEADLINE-3'],
    description: 'At the deadline of a request with policy wait nothing is appended and answers are still accepted.',
    timeoutMs: 15000,
    async run(ctx, t) {
      const s = await deadlineScenario(ctx, { policy: 'wait' }, 900);
      await s.wait();
      const log = await ctx.log(s.alice, s.sid, s.reqSeq);
      t.expect('INPUT-DEADLINE-3', log.length === 0, 'nothing was appended after the deadline passed', { payload: excerpt(log) });
      const ack = await s.bob.command(s.sid, 'input.answer', { requestId: 'q1', value: 'late but fine' });
      t.acked('INPUT-DEADLINE-3', ack, 'an answer after the advisory deadline', s.bob.replyTo);
    },
  },
]);
