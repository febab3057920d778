/** Every check of the suite, by profile. Each file holds the checks of one area. */
import type { Check } from '../core/check.ts';
import type { BrokerCheckContext } from '../broker/context.ts';
import type { HostCheckContext } from '../host/context.ts';
import brokerAcl from './broker-acl.ts';
import brokerConnect from './broker-connect.ts';
import brokerMqtt from './broker-mqtt.ts';
import hostAcl from './host-acl.ts';
import hostAuthz from './host-authz.ts';
import hostDevices from './host-devices.ts';
import hostEnvelope from './host-envelope.ts';
import hostHistory from './host-history.ts';
import hostIdempotency from './host-idempotency.ts';
import hostInbox from './host-inbox.ts';
import hostInput from './host-input.ts';
import hostLimits from './host-limits.ts';
import hostMessages from './host-messages.ts';
import hostMqtt5 from './host-mqtt5.ts';
import hostOrder from './host-order.ts';
import hostRuns from './host-runs.ts';
import hostSequencing from './host-sequencing.ts';
import hostSearch from './host-search.ts';
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
  ...hostAcl,
  ...hostAuthz,
  ...hostLimits,
  ...hostMqtt5,
  ...hostInbox,
  ...hostDevices,
  ...hostSearch,
];

export const BROKER_CHECKS: Check<BrokerCheckContext>[] = [...brokerConnect, ...brokerAcl, ...brokerMqtt];
