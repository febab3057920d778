/** Retention: events older than the window are pruned, keeping the snapshot at the new floor [HOST-RETAIN-1]. */
import { emptySession, reduce } from '../sequencer/session-reducer.ts';
import type { LiveSessions } from '../sequencer/live-sessions.ts';
import type { SessionRow, Store } from '../store/store.ts';

export class Retention {
  constructor(
    private readonly store: Store,
    private readonly sessions: LiveSessions,
    /** Events kept per session; 0 keeps everything. */
    private readonly keep: number,
  ) {}

  /** Applies the window to the sessions a commit touched. */
  async apply(sids: Iterable<string>): Promise<void> {
    if (this.keep > 0) {
      for (const sid of sids) await this.prune(sid);
    }
  }

  private async prune(sid: string): Promise<void> {
    const session = this.sessions.cached(sid);
    if (!session) return;
    const keep = this.keep;
    // Never past an open stream's start or an open input request [HOST-RETAIN-3][HOST-RETAIN-4].
    const openFloor = Math.min(
      ...session.row.state.openMessages.map((m) => m.startedSeq - 1),
      ...session.row.state.openInputs.map((i) => i.seq - 1),
      session.committed,
    );
    const target = Math.min(session.committed - keep, openFloor);
    // Prune in steps of at least 10% of the window so the cost is amortised.
    if (target - session.row.floorSeq < Math.max(1, Math.floor(keep / 10))) return;
    const snap = await this.store.snapshotAtFloor(sid);
    let row: SessionRow = snap
      ? { state: snap.state, streams: {}, floorSeq: snap.atSeq }
      : emptySession(sid, session.row.state.createdBy, session.row.state.createdAt);
    for (const e of await this.store.readEvents(sid, row.state.headSeq, target, Number.MAX_SAFE_INTEGER)) row = reduce(row, e);
    await this.store.prune(sid, target, row.state);
    session.row = { ...session.row, floorSeq: target };
  }
}
