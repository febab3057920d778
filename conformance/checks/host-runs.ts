/** Host profile: runs, cancel and steering [RUN-*, STEER-*]. */
import { defineChecks } from '../core/check.ts';
import { excerpt, seen } from '../core/evidence.ts';
import type { HostCheckContext } from '../host/context.ts';
import { topics } from '../../protocol/topics.ts';
import { stateAt } from '../kit/state.ts';
import { text } from '../kit/payloads.ts';

export default defineChecks<HostCheckContext>([
  {
    id: 'host.run.lifecycle',
    profile: 'host',
    covers: ['HOST-RUN-3', 'HOST-RUN-5', 'HOST-RUN-2', 'HOST-RUN-6', 'HOST-RUN-1'],
    description:
      'run.started opens a run in openRuns; run.cancel_requested keeps it open; run.finished removes it; finishing or cancelling it again gets RUN_NOT_FOUND.',
    async run(ctx, t) {
      const { sid, owner: alice, agent } = await ctx.cast({ agent: 'agent' }, { follow: true });
      const stateTopic = topics.sessionState(sid);
      t.errorCode(
        'HOST-RUN-2',
        await alice.command(sid, 'run.cancel', { runId: 'none' }),
        'RUN_NOT_FOUND',
        'run.cancel of a run never started',
      );
      t.errorCode(
        'HOST-RUN-2',
        await agent.command(sid, 'run.finish', { runId: 'none', status: 'completed' }),
        'RUN_NOT_FOUND',
        'run.finish of a run never started',
      );
      const started = await ctx.ok(agent, sid, 'run.start', { runId: 'r1', title: 'work' });
      const s1 = await stateAt(alice, sid, started);
      const run = (s1?.openRuns ?? []).find((r) => r.runId === 'r1');
      t.expect(
        'HOST-RUN-3',
        run?.agent === agent.principal && run?.startedSeq === started,
        'openRuns lists the run with agent = its sender and startedSeq = the run.started seq',
        seen(stateTopic, s1),
      );
      t.errorCode('HOST-RUN-1', await agent.command(sid, 'run.start', { runId: 'r1' }), 'CONFLICT', 'run.start of a runId that is open');
      const cancel = await ctx.ok(alice, sid, 'run.cancel', { runId: 'r1', reason: 'stop' });
      const s2 = await stateAt(alice, sid, cancel);
      t.expect(
        'HOST-RUN-6',
        (s2?.openRuns ?? []).some((r) => r.runId === 'r1') || (s2?.headSeq ?? 0) < cancel,
        'the run is still open after run.cancel_requested',
        seen(stateTopic, s2),
      );
      t.acked(
        'HOST-RUN-6',
        await alice.command(sid, 'run.cancel', { runId: 'r1' }),
        'a second run.cancel of the still open run',
        alice.replyTo,
      );
      const finished = await ctx.ok(agent, sid, 'run.finish', { runId: 'r1', status: 'cancelled' });
      const s3 = await stateAt(alice, sid, finished);
      t.expect(
        'HOST-RUN-5',
        Number(s3?.headSeq) >= finished && !(s3?.openRuns ?? []).some((r) => r.runId === 'r1'),
        'run.finished removes the run from openRuns',
        seen(stateTopic, s3),
      );
      t.errorCode(
        'HOST-RUN-2',
        await agent.command(sid, 'run.finish', { runId: 'r1', status: 'completed' }),
        'RUN_NOT_FOUND',
        'run.finish of a finished run',
      );
      t.errorCode('HOST-RUN-2', await alice.command(sid, 'run.cancel', { runId: 'r1' }), 'RUN_NOT_FOUND', 'run.cancel of a finished run');
      t.errorCode(
        'HOST-RUN-1',
        await agent.command(sid, 'run.start', { runId: 'r1' }),
        'CONFLICT',
        'run.start of a runId used by a finished run',
      );
    },
  },
  {
    id: 'host.run.starter-only',
    profile: 'host',
    covers: ['HOST-RUN-4'],
    description: 'run.finish from anyone but the principal that started the run is refused with FORBIDDEN.',
    async run(ctx, t) {
      const { sid, owner: alice, agent, other } = await ctx.cast({ agent: 'agent', other: 'agent' });
      await ctx.ok(agent, sid, 'run.start', { runId: 'r1' });
      t.errorCode(
        'HOST-RUN-4',
        await alice.command(sid, 'run.finish', { runId: 'r1', status: 'completed' }),
        'FORBIDDEN',
        "the owner finishing the agent's run",
      );
      t.errorCode(
        'HOST-RUN-4',
        await other.command(sid, 'run.finish', { runId: 'r1', status: 'completed' }),
        'FORBIDDEN',
        'another agent finishing the run',
      );
      t.acked(
        'HOST-RUN-4',
        await agent.command(sid, 'run.finish', { runId: 'r1', status: 'completed' }),
        'the starter finishing its run',
        agent.replyTo,
      );
    },
  },
  {
    id: 'host.steer.chains',
    profile: 'host',
    covers: ['HOST-STEER-1', 'HOST-STEER-3', 'HOST-STEER-4', 'HOST-STEER-2'],
    description:
      'steer events link to the latest earlier steer of the same chain (runId or none) in supersedes; lastSteerSeq follows; unknown runs and non-steer seqs are refused.',
    async run(ctx, t) {
      const { sid, owner: alice, agent } = await ctx.cast({ agent: 'agent' }, { follow: true });
      await ctx.ok(agent, sid, 'run.start', { runId: 'r1' });
      await ctx.ok(agent, sid, 'run.start', { runId: 'r2' });
      const s1 = await ctx.ok(alice, sid, 'steer', { text: 'general' });
      const s2 = await ctx.ok(alice, sid, 'steer', { runId: 'r1', text: 'r1 first' });
      const s3 = await ctx.ok(alice, sid, 'steer', { runId: 'r2', text: 'r2 first' });
      const s4 = await ctx.ok(alice, sid, 'steer', { runId: 'r1', text: 'r1 second' });
      const s5 = await ctx.ok(alice, sid, 'steer', { text: 'general again' });
      const log = await ctx.log(alice, sid);
      const sup = (seq: number) => log.find((e) => e.seq === seq)?.data?.supersedes;
      t.equal(
        'HOST-STEER-1',
        [sup(s1), sup(s2), sup(s3)],
        [undefined, undefined, undefined],
        'the first steer of each chain has no supersedes',
        { payload: excerpt(log.filter((e) => e.type === 'steer')) },
      );
      t.equal(
        'HOST-STEER-1',
        sup(s4),
        s2,
        'a steer of run r1 supersedes the latest earlier steer of r1',
        seen(
          undefined,
          log.find((e) => e.seq === s4),
        ),
      );
      t.equal(
        'HOST-STEER-1',
        sup(s5),
        s1,
        'a steer without runId supersedes the latest earlier steer without runId',
        seen(
          undefined,
          log.find((e) => e.seq === s5),
        ),
      );
      const st = await stateAt(alice, sid, s5);
      t.equal(
        'HOST-STEER-3',
        st?.lastSteerSeq,
        s5,
        "the session state's lastSteerSeq is the seq of the latest steer",
        seen(topics.sessionState(sid), st),
      );
      t.errorCode(
        'HOST-STEER-4',
        await alice.command(sid, 'steer', { runId: 'nope', text: 'x' }),
        'RUN_NOT_FOUND',
        'a steer naming a run that does not exist',
      );
      const msg = await ctx.ok(alice, sid, 'message.send', text('m1'));
      t.errorCode(
        'HOST-STEER-2',
        await agent.command(sid, 'steer.apply', { steerSeq: msg }),
        'STEER_NOT_FOUND',
        'steer.apply naming the seq of a message',
      );
      t.errorCode(
        'HOST-STEER-2',
        await agent.command(sid, 'steer.apply', { steerSeq: msg + 100 }),
        'STEER_NOT_FOUND',
        'steer.apply naming a seq beyond the head',
      );
      t.acked('HOST-STEER-2', await agent.command(sid, 'steer.apply', { steerSeq: s4 }), 'steer.apply naming a steer', agent.replyTo);
    },
  },
]);
