/**
 * Workload 5, footprint: RSS of the broker+host process (its own child process, after a full GC)
 * when empty, with S stored sessions (created through the host: session.create plus one message
 * each, two participants), and with C connected human clients (library transport, each following
 * one session: replies, events and state subscriptions). Baseline: a bare Aedes with C raw
 * mqtt.js clients holding three subscriptions each.
 */
import type { MqttClient } from 'mqtt';
import { BenchParticipant } from '../participant.ts';
import { connectRaw, endAll } from '../raw-mqtt.ts';
import type { ServerHandle } from '../server-handle.ts';
import { check, pool, sleep, waitUntil } from '../stats.ts';

export interface FootprintConfig {
  sessions: number;
  clients: number;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

export interface FootprintResult {
  sessions: number;
  clients: number;
  emptyMB: number;
  withSessionsMB: number;
  withClientsMB: number;
  perSessionKB: number;
  perClientKB: number;
  /** Clients that received a live event after all were connected (they all must). */
  liveChecked: number;
}

/** RSS after the process settled: the lowest of a few GC'd samples. */
async function settledRss(server: ServerHandle): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    await sleep(300);
    best = Math.min(best, (await server.memory()).rss);
  }
  return best;
}

export async function tetherFootprint(server: ServerHandle, cfg: FootprintConfig): Promise<FootprintResult> {
  const tag = `fp-${process.pid}-${Date.now().toString(36)}`;
  const empty = await settledRss(server);
  const creators = await pool(Array.from({ length: 20 }, (_, a) => a), 20, (a) => BenchParticipant.connect(server.url, `agent-${tag}-${a}`));
  const clients: BenchParticipant[] = [];
  try {
    const sid = (k: number) => `${tag}-${k}`;
    const human = (k: number) => `human-${tag}-${k}`;
    await pool(Array.from({ length: cfg.sessions }, (_, k) => k), 200, async (k) => {
      const agent = creators[k % creators.length];
      const created = await agent.command(sid(k), 'session.create', { title: `session ${k}`, participants: [{ principal: human(k), role: 'member' }] });
      check(created.seq === 1, `session ${k}: create got seq ${created.seq}`);
      const sent = await agent.command(sid(k), 'message.send', { msgId: 'm-1', role: 'agent', parts: [{ kind: 'text', text: `hello from session ${k}` }] });
      check(sent.seq === 2, `session ${k}: message got seq ${sent.seq}`);
    });
    await Promise.all(creators.map((c) => c.close()));
    const withSessions = await settledRss(server);
    const seen = new Uint8Array(cfg.clients);
    await pool(Array.from({ length: cfg.clients }, (_, k) => k), 50, async (k) => {
      const c = await BenchParticipant.connect(server.url, human(k));
      clients.push(c);
      await c.watch(sid(k), 2, (item) => {
        if (item.kind === 'event' && item.event.type === 'message') seen[k] = 1;
      });
    });
    const withClients = await settledRss(server);
    // Every connected client is live: one more message per followed session reaches its client.
    const posters = await pool(Array.from({ length: creators.length }, (_, a) => a), 20, (a) => BenchParticipant.connect(server.url, `agent-${tag}-${a}`));
    try {
      await pool(Array.from({ length: cfg.clients }, (_, k) => k), 200, (k) =>
        posters[k % posters.length].command(sid(k), 'message.send', { msgId: 'm-2', role: 'agent', parts: [{ kind: 'text', text: 'still there?' }] }),
      );
    } finally {
      await Promise.all(posters.map((p) => p.close()));
    }
    await waitUntil(() => seen.every((x) => x === 1), 60_000, () => `${seen.filter((x) => !x).length} of ${cfg.clients} clients missed the live message`);
    return {
      sessions: cfg.sessions,
      clients: cfg.clients,
      emptyMB: mb(empty),
      withSessionsMB: mb(withSessions),
      withClientsMB: mb(withClients),
      perSessionKB: kb((withSessions - empty) / cfg.sessions),
      perClientKB: kb((withClients - withSessions) / cfg.clients),
      liveChecked: cfg.clients,
    };
  } finally {
    await Promise.all(creators.map((c) => c.close()));
    await pool(clients, 100, (c) => c.close());
  }
}

export interface RawFootprintResult {
  clients: number;
  emptyMB: number;
  withClientsMB: number;
  perClientKB: number;
}

export async function rawFootprint(server: ServerHandle, cfg: FootprintConfig): Promise<RawFootprintResult> {
  const empty = await settledRss(server);
  const clients: MqttClient[] = [];
  try {
    await pool(Array.from({ length: cfg.clients }, (_, k) => k), 50, async (k) => {
      const c = await connectRaw(server.url);
      clients.push(c);
      await c.subscribeAsync({ [`bench/fp/${k}/replies`]: { qos: 1 }, [`bench/fp/${k}/events`]: { qos: 1 }, [`bench/fp/${k}/state`]: { qos: 1 } });
    });
    const withClients = await settledRss(server);
    return { clients: cfg.clients, emptyMB: mb(empty), withClientsMB: mb(withClients), perClientKB: kb((withClients - empty) / cfg.clients) };
  } finally {
    await endAll(clients);
  }
}
