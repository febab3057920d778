/** Every check of the suite, by profile. Each file holds the checks of one area. */
import type { Check } from '../core/check.ts';
import type { HostCheckContext } from '../host/context.ts';
import hostDevices from './host-devices.ts';
import hostEnvelope from './host-envelope.ts';
import hostHistory from './host-history.ts';
import hostIdempotency from './host-idempotency.ts';
import hostInbox from './host-inbox.ts';
import hostInput from './host-input.ts';
import hostMessages from './host-messages.ts';
import hostOrder from './host-order.ts';
import hostRuns from './host-runs.ts';
import hostSecurity from './host-security.ts';
import hostSequencing from './host-sequencing.ts';
import hostSessions from './host-sessions.ts';
import hostSnapshots from './host-snapshots.ts';
import hostUnicode from './host-unicode.ts';

export const HOST_CHECKS: Check<HostCheckContext>[] = [
  ...hostEnvelope,
  ...hostUnicode,
  ...hostOrder,
  ...hostSequencing,
  ...hostIdempotency,
  ...hostSessions,
  ...hostMessages,
  ...hostRuns,
  ...hostInput,
  ...hostHistory,
  ...hostSnapshots,
  ...hostSecurity,
  ...hostInbox,
  ...hostDevices,
];
