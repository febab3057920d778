/**
 * Workload 5, footprint of the broker+host process (a child process of its own, measured after a
 * full GC) with S stored sessions (created through the host: session.create plus one message
 * each, two participants) and C connected human clients (TetherClient, each following one
 * session). Totals are RSS; the per-session and per-client costs are the growth of live memory
 * (V8 heap used + external), since RSS does not shrink when garbage is collected and its deltas
 * can even be negative.
 *
 * Order: C sessions, then the C clients, then the other S - C sessions. With Aedes' in-memory
 * persistence every SUBSCRIBE scans all retained messages (aedes-persistence 11
 * retainedMessagesByPattern), so connecting clients after all S sessions costs minutes at S =
 * 10,000; that cost is reported (clientsPerSecond), the end state is the same.
 * Baseline: a bare Aedes with C raw mqtt.js clients holding three subscriptions each.
 */
import type { MqttClient } from 'mqtt';
import { BenchParticipant } from '../participant.ts';
import { connectRaw, endAll } from '../raw-mqtt.ts';
import type { MemoryFigures, ServerHandle } from '../server-handle.ts';
import { check, pool, sleep, waitUntil } from '../stats.ts';

export interface FootprintConfig {
  sessions: number;
  clients: number;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;
const live = (m: MemoryFigures) => m.heapUsed + m.external;

export interface FootprintResult {
  sessions: number;
  clients: number;
  emptyMB: number;
  /** RSS with every session stored and every client connected: the headline figure. */
  totalMB: number;
  /** Live memory (heap used + external) per stored session and per connected client. */
  perSessionKB: number;
  perClientKB: number;
  /** Sessions created (with their first message) per second through the host. */
  sessionsPerSecond: number;
  /** Clients connected and joined per second, with C sessions stored. */
  clientsPerSecond: number;
  /** Clients that received a live event after everything was set up (they all must). */
  liveChecked: number;
}

/** Memory after the process settled: the sample with the lowest RSS of a few GC'd ones. */
async function settled(server: ServerHandle): Promise<MemoryFigures> {
  let best: MemoryFigures | undefined;
  for (let i = 0; i < 3; i++) {
    await sleep(300);
    const m = await server.memory();
    if (!best || m.rss < best.rss) best = m;
  }
  return best!;
}

export async function tetherFootprint(server: ServerHandle, cfg: FootprintConfig): Promise<FootprintResult> {
  const tag = `fp-${process.pid}-${Date.now().toString(36)}`;
  const sid = (k: number) => `${tag}-${k}`;
  const human = (k: number) => `human-${tag}-${k}`;
  const empty = await settled(server);
  const creators = await pool(
    Array.from({ length: 20 }, (_, a) => a),
    20,
    (a) => BenchParticipant.connect(server.url, `agent-${tag}-${a}`),
  );
  const clients: BenchParticipant[] = [];
  let createMs = 0;
  const create = async (from: number, to: number) => {
    const t0 = performance.now();
    await pool(
      Array.from({ length: to - from }, (_, j) => from + j),
      200,
      async (k) => {
        const agent = creators[k % creators.length];
        const created = await agent.command(sid(k), 'session.create', {
          title: `session ${k}`,
          participants: [{ principal: human(k), role: 'member' }],
        });
        check(created.seq === 1, `session ${k}: create got seq ${created.seq}`);
        const sent = await agent.command(sid(k), 'message.send', {
          msgId: 'm-1',
          role: 'agent',
          parts: [{ kind: 'text', text: `hello from session ${k}` }],
        });
        check(sent.seq === 2, `session ${k}: message got seq ${sent.seq}`);
      },
    );
    createMs += performance.now() - t0;
  };
  try {
    const c = Math.min(cfg.clients, cfg.sessions);
    await create(0, c);
    const firstSessions = await settled(server);
    const seen = new Uint8Array(c);
    const t0 = performance.now();
    await pool(
      Array.from({ length: c }, (_, k) => k),
      50,
      async (k) => {
        const client = await BenchParticipant.connect(server.url, human(k));
        clients.push(client);
        await client.watch(sid(k), 2, (item) => {
          if (item.kind === 'event' && item.event.type === 'message') seen[k] = 1;
        });
      },
    );
    const connectMs = performance.now() - t0;
    const withClients = await settled(server);
    await create(c, cfg.sessions);
    const all = await settled(server);
    // Every connected client is live: one more message per followed session reaches its client.
    await pool(
      Array.from({ length: c }, (_, k) => k),
      200,
      (k) =>
        creators[k % creators.length].command(sid(k), 'message.send', {
          msgId: 'm-2',
          role: 'agent',
          parts: [{ kind: 'text', text: 'still there?' }],
        }),
    );
    await waitUntil(
      () => seen.every((x) => x === 1),
      60_000,
      () => `${seen.filter((x) => !x).length} of ${c} clients missed the live message`,
    );
    const sessionGrowth = live(firstSessions) - live(empty) + (live(all) - live(withClients));
    return {
      sessions: cfg.sessions,
      clients: c,
      emptyMB: mb(empty.rss),
      totalMB: mb(all.rss),
      perSessionKB: kb(sessionGrowth / cfg.sessions),
      perClientKB: kb((live(withClients) - live(firstSessions)) / c),
      sessionsPerSecond: Math.round(cfg.sessions / (createMs / 1000)),
      clientsPerSecond: Math.round(c / (connectMs / 1000)),
      liveChecked: c,
    };
  } finally {
    await Promise.all(creators.map((x) => x.close()));
    await pool(clients, 100, (x) => x.close());
  }
}

export interface RawFootprintResult {
  clients: number;
  emptyMB: number;
  withClientsMB: number;
  perClientKB: number;
}

export async function rawFootprint(server: ServerHandle, cfg: FootprintConfig): Promise<RawFootprintResult> {
  const empty = await settled(server);
  const clients: MqttClient[] = [];
  try {
    await pool(
      Array.from({ length: cfg.clients }, (_, k) => k),
      50,
      async (k) => {
        const c = await connectRaw(server.url);
        clients.push(c);
        await c.subscribeAsync({
          [`bench/fp/${k}/replies`]: { qos: 1 },
          [`bench/fp/${k}/events`]: { qos: 1 },
          [`bench/fp/${k}/state`]: { qos: 1 },
        });
      },
    );
    const withClients = await settled(server);
    return {
      clients: cfg.clients,
      emptyMB: mb(empty.rss),
      withClientsMB: mb(withClients.rss),
      perClientKB: kb((live(withClients) - live(empty)) / cfg.clients),
    };
  } finally {
    await endAll(clients);
  }
}
