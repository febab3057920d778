/** The host profile: black-box checks of a running host (and the broker in front of it) through the protocol alone. */
import type { Check } from '../core/check.ts';
import type { ContextFactory } from '../core/runner.ts';
import { HostCheckContext, HostTarget, type HostTargetOptions } from './context.ts';

export async function hostFactory(opts: HostTargetOptions): Promise<{ factory: ContextFactory<HostCheckContext>; target: HostTarget }> {
  const target = new HostTarget(opts);
  await target.discover();
  const factory: ContextFactory<HostCheckContext> = {
    async open(_check, t) {
      if (!target.hostState) t.notTestable(target.discoveryError ?? 'no host found');
      return new HostCheckContext(target, t);
    },
    close: (ctx) => ctx.close(),
    runsAlone: (check) => check.exclusive === true || (check.exclusive === 'shared-principals' && !target.anonymous),
    skipReason(check: Check<HostCheckContext>) {
      if (check.feature && target.hostState && !target.features.includes(check.feature))
        return `the host does not advertise the optional feature ${check.feature}`;
      return undefined;
    },
  };
  return { factory, target };
}
