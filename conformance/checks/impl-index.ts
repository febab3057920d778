/** The agent and client profiles' checks: shared ones (requirements naming both) and profile-only ones. */
import type { Check } from '../core/check.ts';
import type { ImplCheckContext } from '../impl/context.ts';
import agentOnly from './agent-only.ts';
import clientOnly from './client-only.ts';
import { connectionChecks } from './impl-connection.ts';
import { deliveryChecks } from './impl-delivery.ts';
import { reconnectChecks } from './impl-reconnect.ts';
import { resumeChecks } from './impl-resume.ts';

export const CLIENT_CHECKS: Check<ImplCheckContext>[] = [
  ...connectionChecks('client'),
  ...resumeChecks('client'),
  ...deliveryChecks('client'),
  ...reconnectChecks('client'),
  ...clientOnly,
];
export const AGENT_CHECKS: Check<ImplCheckContext>[] = [
  ...connectionChecks('agent'),
  ...resumeChecks('agent'),
  ...deliveryChecks('agent'),
  ...reconnectChecks('agent'),
  ...agentOnly,
];
