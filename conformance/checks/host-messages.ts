/** Host profile: messages and token streams [CMD-MSG-*, CMD-STREAM-*]. */
import { defineChecks } from '../core/check.ts';
import { seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { text } from '../kit/payloads.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.message.msgid-unique',
    profile: 'host',
    covers: ['HOST-STREAM-1'],
    description:
      'A msgId already used in the session by message.send or message.start is refused with CONFLICT, also after its stream completed.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      await ctx.ok(alice, sid, 'message.send', text('m1'));
      t.errorCode(
        'HOST-STREAM-1',
        await alice.command(sid, 'message.send', text('m1', 'again')),
        'CONFLICT',
        'message.send of a msgId already sent',
      );
      t.errorCode(
        'HOST-STREAM-1',
        await alice.command(sid, 'message.start', { msgId: 'm1', role: 'user' }),
        'CONFLICT',
        'message.start of a msgId already sent',
      );
      await ctx.ok(alice, sid, 'message.start', { msgId: 's1', role: 'user' });
      t.errorCode(
        'HOST-STREAM-1',
        await alice.command(sid, 'message.start', { msgId: 's1', role: 'user' }),
        'CONFLICT',
        'message.start of a msgId whose stream is open',
      );
      await ctx.ok(alice, sid, 'message.complete', { msgId: 's1' });
      t.errorCode(
        'HOST-STREAM-1',
        await alice.command(sid, 'message.send', text('s1')),
        'CONFLICT',
        'message.send of the msgId of a completed stream',
      );
      t.errorCode(
        'HOST-STREAM-1',
        await alice.command(sid, 'message.start', { msgId: 's1', role: 'user' }),
        'CONFLICT',
        'message.start of the msgId of a completed stream',
      );
    },
  },
  {
    id: 'host.message.reply-to-seq',
    profile: 'host',
    covers: ['HOST-MSG-1'],
    description: 'message.send whose replyToSeq lies beyond the head is refused with SCHEMA_INVALID.',
    async run(ctx, t) {
      const { sid, owner: alice } = await ctx.cast({});
      const head = await ctx.ok(alice, sid, 'message.send', text('m1'));
      t.errorCode(
        'HOST-MSG-1',
        await alice.command(sid, 'message.send', { ...text('m2'), replyToSeq: head + 5 }),
        'SCHEMA_INVALID',
        'message.send with replyToSeq beyond the head',
      );
      t.acked(
        'HOST-MSG-1',
        await alice.command(sid, 'message.send', { ...text('m3'), replyToSeq: head }),
        'message.send with replyToSeq = the head',
        alice.replyTo,
      );
    },
  },
  {
    id: 'host.stream.lifecycle',
    profile: 'host',
    covers: ['HOST-STREAM-5', 'HOST-STREAM-2', 'HOST-STREAM-4', 'HOST-STREAM-7', 'HOST-STREAM-8'],
    description:
      'A stream opens at chunk 0, takes chunks in index order (STREAM_OUT_OF_ORDER with expected otherwise), completes with the concatenated text, then is closed.',
    async run(ctx, t) {
      const { sid, owner: alice, agent } = await ctx.cast({ agent: 'agent' });
      t.errorCode(
        'HOST-STREAM-2',
        await agent.command(sid, 'message.delta', { msgId: 'none', i: 0, text: 'x' }),
        'STREAM_NOT_OPEN',
        'a chunk of a msgId never started',
      );
      t.errorCode(
        'HOST-STREAM-2',
        await agent.command(sid, 'message.complete', { msgId: 'none' }),
        'STREAM_NOT_OPEN',
        'message.complete of a msgId never started',
      );
      const startedSeq = await ctx.ok(agent, sid, 'message.start', { msgId: 's1', role: 'agent' });
      const skip = await agent.command(sid, 'message.delta', { msgId: 's1', i: 1, text: 'x' });
      t.errorCode('HOST-STREAM-5', skip, 'STREAM_OUT_OF_ORDER', 'chunk 1 as the first chunk (the stream expects 0)', agent.replyTo);
      t.equal(
        'HOST-STREAM-4',
        skip?.data?.details,
        { expected: 0 },
        'the out-of-order error names the expected index 0',
        seen(agent.replyTo, skip),
      );
      const chunks = ['The ', 'quick ', 'brown ', 'fox ', 'jumps'];
      t.acked(
        'HOST-STREAM-5',
        await agent.command(sid, 'message.delta', { msgId: 's1', i: 0, text: chunks[0] }),
        'chunk 0 right after message.start',
        agent.replyTo,
      );
      for (let i = 1; i < chunks.length; i++) await ctx.ok(agent, sid, 'message.delta', { msgId: 's1', i, text: chunks[i] });
      const back = await agent.command(sid, 'message.delta', { msgId: 's1', i: 3, text: 'again' });
      t.errorCode('HOST-STREAM-4', back, 'STREAM_OUT_OF_ORDER', 'chunk 3 again after chunk 4', agent.replyTo);
      t.equal(
        'HOST-STREAM-4',
        back?.data?.details,
        { expected: 5 },
        'the error names the next expected index 5',
        seen(agent.replyTo, back),
      );
      const ahead = await agent.command(sid, 'message.delta', { msgId: 's1', i: 7, text: 'x' });
      t.equal(
        'HOST-STREAM-4',
        [ahead?.data?.code, ahead?.data?.details],
        ['STREAM_OUT_OF_ORDER', { expected: 5 }],
        'chunk 7 when 5 is expected is refused with details.expected 5',
        seen(agent.replyTo, ahead),
      );
      const done = await ctx.ok(agent, sid, 'message.complete', { msgId: 's1' });
      const log = await ctx.log(alice, sid);
      const completed = log.find((e) => e.seq === done);
      t.equal(
        'HOST-STREAM-7',
        completed?.data,
        { msgId: 's1', role: 'agent', status: 'ok', parts: [{ kind: 'text', text: chunks.join('') }], chunks: 5, startedSeq },
        'message.completed carries one text part of the chunks in index order, status ok, the role, the chunk count and startedSeq',
        seen(undefined, completed),
      );
      t.errorCode(
        'HOST-STREAM-8',
        await agent.command(sid, 'message.delta', { msgId: 's1', i: 5, text: 'late' }),
        'STREAM_NOT_OPEN',
        'a chunk after message.completed',
      );
      t.errorCode(
        'HOST-STREAM-8',
        await agent.command(sid, 'message.complete', { msgId: 's1' }),
        'STREAM_NOT_OPEN',
        'a second message.complete',
      );
      await ctx.ok(agent, sid, 'message.start', { msgId: 's2', role: 'agent' });
      await ctx.ok(agent, sid, 'message.delta', { msgId: 's2', i: 0, text: 'partial' });
      const parts = [
        { kind: 'text', text: 'final answer' },
        { kind: 'json', value: { ok: false } },
      ];
      const done2 = await ctx.ok(agent, sid, 'message.complete', { msgId: 's2', status: 'failed', parts, error: 'tool crashed' });
      const log2 = await ctx.log(alice, sid, done2 - 1);
      t.expect(
        'HOST-STREAM-7',
        JSON.stringify(log2[0]?.data?.parts) === JSON.stringify(parts) && log2[0]?.data?.status === 'failed' && log2[0]?.data?.chunks === 1,
        "message.completed takes the command's parts and status when given",
        seen(undefined, log2[0]),
      );
    },
  },
  {
    id: 'host.stream.starter-only',
    profile: 'host',
    covers: ['HOST-STREAM-3'],
    description: 'Chunks and completion of a stream from anyone but its starter are refused with FORBIDDEN.',
    async run(ctx, t) {
      const { sid, owner: alice, bob, agent } = await ctx.cast({ bob: 'member', agent: 'agent' });
      await ctx.ok(agent, sid, 'message.start', { msgId: 's1', role: 'agent' });
      t.errorCode(
        'HOST-STREAM-3',
        await bob.command(sid, 'message.delta', { msgId: 's1', i: 0, text: 'x' }),
        'FORBIDDEN',
        "a member's chunk of the agent's stream",
      );
      t.errorCode(
        'HOST-STREAM-3',
        await alice.command(sid, 'message.delta', { msgId: 's1', i: 0, text: 'x' }),
        'FORBIDDEN',
        "the owner's chunk of the agent's stream",
      );
      t.errorCode(
        'HOST-STREAM-3',
        await alice.command(sid, 'message.complete', { msgId: 's1' }),
        'FORBIDDEN',
        "the owner's message.complete of the agent's stream",
      );
      t.acked(
        'HOST-STREAM-3',
        await agent.command(sid, 'message.delta', { msgId: 's1', i: 0, text: 'x' }),
        "the starter's own chunk",
        agent.replyTo,
      );
    },
  },
  {
    id: 'host.stream.run',
    profile: 'host',
    covers: ['HOST-STREAM-6'],
    description: 'message.start naming a runId that is not an open run is refused with RUN_NOT_FOUND.',
    async run(ctx, t) {
      const { sid, agent } = await ctx.cast({ agent: 'agent' });
      t.errorCode(
        'HOST-STREAM-6',
        await agent.command(sid, 'message.start', { msgId: 's1', role: 'agent', runId: 'nope' }),
        'RUN_NOT_FOUND',
        'message.start in a run that does not exist',
      );
      await ctx.ok(agent, sid, 'run.start', { runId: 'r1' });
      t.acked(
        'HOST-STREAM-6',
        await agent.command(sid, 'message.start', { msgId: 's2', role: 'agent', runId: 'r1' }),
        'message.start in an open run',
        agent.replyTo,
      );
      await ctx.ok(agent, sid, 'run.finish', { runId: 'r1', status: 'completed' });
      t.errorCode(
        'HOST-STREAM-6',
        await agent.command(sid, 'message.start', { msgId: 's3', role: 'agent', runId: 'r1' }),
        'RUN_NOT_FOUND',
        'message.start in a finished run',
      );
    },
  },
]);
