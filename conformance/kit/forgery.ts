/**
 * Forged publishes for the ACL checks of the broker and host profiles: publishes a principal's ACL
 * does not allow, each from a connection of its own, and a connection that claims the host's user
 * name without its credentials [SEC-ACL-1, SEC-HOST-1].
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { accepted, type BrokerCheckContext } from '../broker/context.ts';
import { settled } from './waits.ts';

export interface Forgery {
  /** What the topic is, for the expectation text. */
  what: string;
  topic: string;
  payload: object;
  retain: boolean;
}

/** Publishes each forgery from a fresh connection of `principal`: a broker may close the connection of a refused publish. */
export async function publishEach(ctx: BrokerCheckContext, principal: string, forgeries: Forgery[]): Promise<void> {
  await Promise.all(
    forgeries.map(async ({ topic, payload, retain }) => {
      const forger = await ctx.peer(principal);
      await settled(forger.publish(topic, payload, { retain }));
      await settled(forger.close());
    }),
  );
}

/** The user name a host usually connects with; the suite claims it with a wrong password. */
export const USUAL_HOST_USER = 'tether-host';

/**
 * Connects as the usual host user name with a wrong password and, when the broker accepts that, publishes
 * on host-only topics. Returns whether it connected and a close function.
 */
export async function claimHostName(
  ctx: BrokerCheckContext,
  publishes: { topic: string; payload: object }[],
): Promise<{ connected: boolean; end(): void }> {
  const claimed = mqtt.connect(ctx.url, {
    ...ctx.target.opts.mqtt,
    clientId: `claim-${randomBytes(3).toString('hex')}`,
    username: USUAL_HOST_USER,
    password: 'not-the-secret',
    reconnectPeriod: 0,
    connectTimeout: 4000,
  });
  const connected = await accepted(claimed);
  if (connected) for (const p of publishes) claimed.publish(p.topic, JSON.stringify(p.payload), { qos: 1 });
  return { connected, end: () => claimed.end(true) };
}
