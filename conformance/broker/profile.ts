/**
 * The broker profile: black-box checks of a broker with the Tether ACL, through MQTT alone. They need no
 * host: what depends on a host's participant lists is checked by the host profile (a deployment).
 */
import type { ContextFactory } from '../core/runner.ts';
import { BrokerCheckContext, BrokerTarget, type BrokerTargetOptions } from './context.ts';

export function brokerFactory(opts: BrokerTargetOptions): { factory: ContextFactory<BrokerCheckContext>; target: BrokerTarget } {
  const target = new BrokerTarget(opts);
  const factory: ContextFactory<BrokerCheckContext> = {
    open: async (_check, t) => new BrokerCheckContext(target, t),
    close: (ctx) => ctx.close(),
    runsAlone: (check) => check.exclusive === true || (check.exclusive === 'shared-principals' && !target.anonymous),
  };
  return { factory, target };
}
