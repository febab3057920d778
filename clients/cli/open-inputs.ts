/**
 * The input requests still open in some sessions, read from each session's retained state (its
 * `openInputs` [HOST-INPUT-12]) and completed from the input.requested event (the default, `to`).
 * The state is read from its retained topic alone, without following the session's log.
 */
import type { EventDataOf, SessionState } from '../../schemas/src/index.ts';
import type { TetherClient } from '../lib/index.ts';
import { eventAt } from './event-at.ts';
import type { InputRequest } from './input-text.ts';

export interface OpenInput {
  sid: string;
  seq: number;
  /** Who asked (the sender of input.requested), when its event could be read. */
  by?: string;
  req: InputRequest;
}

const STATE_WAIT_MS = 2000;
const CONCURRENCY = 4;

export async function openInputsOf(client: TetherClient, sids: string[]): Promise<OpenInput[]> {
  const found: OpenInput[][] = [];
  let next = 0;
  const worker = async () => {
    while (next < sids.length) {
      const i = next++;
      found[i] = await inputsOf(client, sids[i]).catch(() => []);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, sids.length) }, worker));
  return found.flat();
}

async function inputsOf(client: TetherClient, sid: string): Promise<OpenInput[]> {
  return fromState(client, sid, await retainedState(client, sid));
}

async function fromState(client: TetherClient, sid: string, state: SessionState | undefined): Promise<OpenInput[]> {
  if (state?.status !== 'open') return [];
  const out: OpenInput[] = [];
  for (const open of state.openInputs) {
    const e = await eventAt(client, sid, open.seq).catch(() => undefined);
    const req = e?.type === 'input.requested' ? (e.data as EventDataOf<'input.requested'>) : open;
    out.push({ sid, seq: open.seq, by: e?.sender, req });
  }
  return out;
}

/** The retained state of a session, or undefined when none arrives within STATE_WAIT_MS. */
function retainedState(client: TetherClient, sid: string): Promise<SessionState | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => (off(), resolve(undefined)), STATE_WAIT_MS);
    const off = client.watchSessionState(sid, (s) => (clearTimeout(timer), off(), resolve(s)));
  });
}
