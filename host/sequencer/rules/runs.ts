/** Rules of run.start, run.finish, run.cancel, steer and steer.apply. */
import type { EventDataOf, SessionState } from '../../../schemas/src/index.ts';
import { refuse } from '../../gate/errors.ts';
import type { CommandRule } from './rule.ts';
import { refuseUsed } from './unique-ids.ts';

/** A command that names a run needs that run to be open. */
export function requireOpenRun(s: SessionState, runId: string | undefined, rule: string): void {
  if (runId !== undefined && !s.openRuns.some((r) => r.runId === runId)) refuse('RUN_NOT_FOUND', rule, `no open run ${runId}`);
}

export const startRun: CommandRule<'run.start'> = async ({ row, log }, data) => {
  await refuseUsed(log, row.state.sid, ['run.started'], data.runId, 'HOST-RUN-1', 'runId');
  return { type: 'run.started', data };
};

export const finishRun: CommandRule<'run.finish'> = ({ row, sender }, data) => {
  const run = row.state.openRuns.find((r) => r.runId === data.runId);
  if (!run) refuse('RUN_NOT_FOUND', 'HOST-RUN-2', `no open run ${data.runId}`);
  if (run.agent !== sender) refuse('FORBIDDEN', 'HOST-RUN-4', `run ${data.runId} was started by ${run.agent}`);
  return { type: 'run.finished', data };
};

export const cancelRun: CommandRule<'run.cancel'> = ({ row }, data) => {
  if (!row.state.openRuns.some((r) => r.runId === data.runId)) refuse('RUN_NOT_FOUND', 'HOST-RUN-2', `no open run ${data.runId}`);
  return { type: 'run.cancel_requested', data };
};

export const steer: CommandRule<'steer'> = async ({ row, log }, data) => {
  const s = row.state;
  requireOpenRun(s, data.runId, 'HOST-STEER-4');
  const out: EventDataOf<'steer'> = { text: data.text };
  if (data.runId !== undefined) out.runId = data.runId;
  // HOST-STEER-1: supersedes the latest earlier steer with the same runId (or both without one).
  const previous = s.lastSteerSeq === undefined ? undefined : await log.findEvent(s.sid, ['steer'], data.runId, 'latest');
  if (previous) out.supersedes = previous.seq;
  return { type: 'steer', data: out };
};

export const applySteer: CommandRule<'steer.apply'> = async ({ row, log }, data) => {
  const [e] = await log.readEvents(row.state.sid, data.steerSeq - 1, data.steerSeq, 1);
  if (!e || e.seq !== data.steerSeq || e.type !== 'steer')
    refuse('STEER_NOT_FOUND', 'HOST-STEER-2', `no steer event at seq ${data.steerSeq}`);
  return { type: 'steer.applied', data };
};
