/** The agent and client profiles: the suite plays broker and host and starts the implementation under test per check. */
import type { Check } from '../core/check.ts';
import type { ContextFactory } from '../core/runner.ts';
import { SuiteHost } from '../harness/suite-host.ts';
import { ImplCheckContext } from './context.ts';

/** Limits of the suite's host: retention on (expired cursors) and small pages (paging). */
export const SUITE_HOST_LIMITS = { retentionEvents: 60, maxHistoryPage: 20 };

/** Agent, client and device checks mostly wait on the implementation: a generous default time limit. */
export const IMPL_CHECK_TIMEOUT_MS = 40_000;

export async function implFactory(
  profile: 'agent' | 'client' | 'device',
  spawn: string | undefined,
): Promise<{ factory: ContextFactory<ImplCheckContext>; suite: SuiteHost }> {
  const suite = await SuiteHost.start({ limits: SUITE_HOST_LIMITS });
  const factory: ContextFactory<ImplCheckContext> = {
    async open(_check: Check<ImplCheckContext>, t) {
      if (!spawn) t.notTestable(`no ${profile} under test: give its adapter command with --spawn "COMMAND" (conformance/ADAPTER.md)`);
      return new ImplCheckContext(suite, t, spawn!, profile);
    },
    close: (ctx) => ctx.close(),
  };
  return { factory, suite };
}
