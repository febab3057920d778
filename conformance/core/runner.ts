/**
 * Runs checks (concurrently, exclusive ones alone at the end), each with a time limit, and turns their
 * assertions into per-check and per-requirement results: a failed MUST is a failure, a failed SHOULD
 * a warning, a missing prerequisite a failure with its reason, a skip only for an unadvertised feature.
 */
import type { Check } from './check.ts';
import { NotTestable, Probe, Skip, type Assertion } from './probe.ts';
import { severityOf, type Requirement } from './requirements.ts';

export type Status = 'pass' | 'fail' | 'warn' | 'skip';

export interface IdResult {
  status: Status;
  reason?: string;
}

export interface CheckResult {
  id: string;
  profile: string;
  covers: string[];
  description: string;
  level: 'MUST' | 'SHOULD';
  status: Status;
  durationMs: number;
  /** "Not testable: ...", "skipped: ...", or an unexpected error. */
  reason?: string;
  assertions: Assertion[];
  notes: string[];
  ids: Record<string, IdResult>;
}

/** Opens what one check needs (peers, sessions, spawned processes) and closes it afterwards. */
export interface ContextFactory<Ctx> {
  open(check: Check<Ctx>, t: Probe): Promise<Ctx>;
  close(ctx: Ctx): Promise<void>;
  /** Called before a check runs; a returned reason skips it (optional feature not advertised). */
  skipReason?(check: Check<Ctx>): string | undefined;
  /** Whether a check must run alone (default: check.exclusive === true). */
  runsAlone?(check: Check<Ctx>): boolean;
}

export interface RunOptions {
  concurrency?: number;
  defaultTimeoutMs?: number;
  onResult?: (r: CheckResult) => void;
}

class CheckTimeout extends Error {
  override name = 'CheckTimeout';
}

export function checkLevel(covers: string[], reqs: Map<string, Requirement>): 'MUST' | 'SHOULD' {
  return covers.some((id) => severityOf(reqs.get(id)?.level) === 'must') ? 'MUST' : 'SHOULD';
}

export function evaluate<Ctx>(
  check: Check<Ctx>,
  probe: Probe,
  reqs: Map<string, Requirement>,
  durationMs: number,
  outcome: { error?: unknown },
): CheckResult {
  const ids: Record<string, IdResult> = {};
  let reason: string | undefined;
  const err = outcome.error;
  if (err instanceof Skip) reason = `skipped: ${err.message}`;
  else if (err instanceof NotTestable) reason = `Not testable: ${err.message}`;
  else if (err instanceof CheckTimeout) reason = err.message;
  else if (err) reason = `error: ${(err as Error).message ?? String(err)}`;

  for (const id of check.covers) {
    const mine = probe.assertions.filter((a) => a.id === id);
    const failed = mine.find((a) => !a.ok);
    const severity = severityOf(reqs.get(id)?.level);
    if (err instanceof Skip) ids[id] = { status: 'skip', reason };
    else if (failed) ids[id] = { status: severity === 'must' ? 'fail' : 'warn', reason: failed.expectation };
    else if (err) ids[id] = { status: severity === 'must' ? 'fail' : 'warn', reason };
    else if (mine.length === 0)
      ids[id] = { status: severity === 'must' ? 'fail' : 'warn', reason: `check ${check.id} made no assertion for ${id}` };
    else ids[id] = { status: 'pass' };
  }
  const statuses = Object.values(ids).map((r) => r.status);
  const status: Status = statuses.includes('fail')
    ? 'fail'
    : statuses.includes('warn')
      ? 'warn'
      : statuses.every((s) => s === 'skip') && statuses.length
        ? 'skip'
        : 'pass';
  return {
    id: check.id,
    profile: check.profile,
    covers: check.covers,
    description: check.description,
    level: checkLevel(check.covers, reqs),
    status,
    durationMs: Math.round(durationMs),
    reason,
    assertions: probe.assertions,
    notes: probe.notes,
    ids,
  };
}

export async function runOne<Ctx>(
  check: Check<Ctx>,
  factory: ContextFactory<Ctx>,
  reqs: Map<string, Requirement>,
  timeoutMs: number,
): Promise<CheckResult> {
  const probe = new Probe(check.id, check.covers);
  const started = performance.now();
  const skip = factory.skipReason?.(check);
  if (skip) return evaluate(check, probe, reqs, 0, { error: new Skip(skip) });
  let ctx: Ctx | undefined;
  let timer: NodeJS.Timeout | undefined;
  const outcome: { error?: unknown } = {};
  try {
    const limit = check.timeoutMs ?? timeoutMs;
    await Promise.race([
      (async () => {
        ctx = await factory.open(check, probe);
        await check.run(ctx, probe);
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout(`check did not finish within ${limit} ms`)), limit);
      }),
    ]);
  } catch (err) {
    outcome.error = err;
  } finally {
    clearTimeout(timer);
    if (ctx !== undefined) await factory.close(ctx).catch(() => {});
  }
  return evaluate(check, probe, reqs, performance.now() - started, outcome);
}

export async function runChecks<Ctx>(
  checks: Check<Ctx>[],
  factory: ContextFactory<Ctx>,
  reqs: Map<string, Requirement>,
  opts: RunOptions = {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const timeout = opts.defaultTimeoutMs ?? 20_000;
  const alone = (c: Check<Ctx>) => (factory.runsAlone ? factory.runsAlone(c) : c.exclusive === true);
  const shared = checks.filter((c) => !alone(c));
  const exclusive = checks.filter((c) => alone(c));
  let next = 0;
  const worker = async () => {
    while (next < shared.length) {
      const check = shared[next++];
      const r = await runOne(check, factory, reqs, timeout);
      results.push(r);
      opts.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 6) }, worker));
  for (const check of exclusive) {
    const r = await runOne(check, factory, reqs, timeout);
    results.push(r);
    opts.onResult?.(r);
  }
  return results;
}
