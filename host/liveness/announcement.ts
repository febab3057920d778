/**
 * The announcement at start and after every reconnect: the birth, then every retained snapshot
 * from the store (session states and index entries, results, agent states, inbox doorbells), since
 * a restarted broker may have lost them [HOST-SNAPSHOT-3].
 */
import type { Logger } from 'pino';
import { topics } from '../../protocol/topics.ts';
import type { Doorbell } from '../deadlines/doorbell.ts';
import { indexEntryJson } from '../publish/index-entry.ts';
import type { Outbox } from '../publish/outbox.ts';
import type { LiveSessions } from '../sequencer/live-sessions.ts';
import type { Store } from '../store/store.ts';
import type { Liveness } from './liveness.ts';

export interface AnnouncementOptions {
  liveness: Liveness;
  store: Store;
  sessions: LiveSessions;
  outbox: Outbox;
  doorbell: Doorbell;
  log: Logger;
}

export async function announce({ liveness, store, sessions, outbox, doorbell, log }: AnnouncementOptions): Promise<void> {
  await liveness.birth();
  let n = 0;
  for await (const row of store.allSessions()) {
    const state = sessions.cached(row.state.sid)?.row.state ?? row.state;
    void outbox.publish(topics.sessionState(state.sid), JSON.stringify(state), true);
    for (const p of state.participants)
      void outbox.publish(topics.sessionIndex(p.principal, state.sid), indexEntryJson(state, p.principal), true);
    n++;
  }
  for (const r of await store.results()) void outbox.publish(topics.result(r.sid), r.payload, true);
  for (const a of await store.agentStates()) void outbox.publish(topics.agentState(a.agentId), a.payload, true);
  for (const agent of await store.inboxAgents()) void doorbell.ring(agent);
  await outbox.drained();
  log.info({ sessions: n }, 'retained snapshots republished');
}
