/** Followers of sessions' retained state without their log (what a session list shows): one subscription per session. */
import type { SessionState } from '../../schemas/src/index.ts';
import { topics } from '../../protocol/topics.ts';
import type { Transport } from './transport.ts';

type Watcher = (state: SessionState) => void;

export class StateWatchers {
  private readonly bySid = new Map<string, Set<Watcher>>();

  /** `stillNeeded(sid)`: the topic stays subscribed when the last watcher goes (a joined session). */
  constructor(
    private readonly transport: Transport,
    private readonly stillNeeded: (sid: string) => boolean,
  ) {}

  /** Adds a watcher; returns a function that removes it (and the subscription with the last one). */
  add(sid: string, fn: Watcher): () => void {
    let set = this.bySid.get(sid);
    if (!set) {
      this.bySid.set(sid, (set = new Set()));
      void this.transport.subscribe(topics.sessionState(sid)).catch(() => {});
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size || this.bySid.get(sid) !== set) return;
      this.bySid.delete(sid);
      if (!this.stillNeeded(sid)) void this.transport.unsubscribe(topics.sessionState(sid)).catch(() => {});
    };
  }

  deliver(sid: string, state: SessionState): void {
    for (const fn of this.bySid.get(sid) ?? []) fn(state);
  }
}
