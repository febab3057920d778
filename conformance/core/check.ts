/**
 * A conformance check: metadata (data) plus the code that drives an implementation. The metadata is
 * what the coverage gate and the reports read; `covers` names the requirement IDs the check asserts,
 * and every assertion of the check names one of them.
 */
import type { Probe } from './probe.ts';

export const SUITE_PROFILES = ['host', 'broker', 'agent', 'client', 'device'] as const;
export type SuiteProfile = (typeof SUITE_PROFILES)[number];

export interface CheckMeta {
  /** Stable dotted id, e.g. `host.seq.contiguous`. */
  id: string;
  profile: SuiteProfile;
  /** Requirement IDs of spec/v1/requirements.json this check asserts. */
  covers: string[];
  description: string;
  /** Optional feature of the host birth (`features`) the check needs; skipped when not advertised. */
  feature?: string;
  /**
   * Runs alone, after the concurrent checks: true when it disturbs the target; 'shared-principals'
   * when it only needs that no other check uses its principals at the same time (counts, quotas).
   */
  exclusive?: boolean | 'shared-principals';
  /** Overall time limit of the check (default 20 s). */
  timeoutMs?: number;
}

export interface Check<Ctx> extends CheckMeta {
  run(ctx: Ctx, t: Probe): Promise<void>;
}

export function defineChecks<Ctx>(checks: Check<Ctx>[]): Check<Ctx>[] {
  return checks;
}
