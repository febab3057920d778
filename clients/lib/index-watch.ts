/**
 * The principal's live session index: the retained index topics, reconciled with a sessions.list on
 * each connection so that entries cleared while the client was away are dropped too.
 */
import { topics } from '../../protocol/topics.ts';
import { SessionIndex } from './session-index.ts';
import type { SessionLink } from './session-types.ts';
import type { Transport } from './transport.ts';

const LIST_LIMIT = 500;

export class IndexWatch {
  index?: SessionIndex;

  constructor(
    private readonly principal: string,
    private readonly transport: Transport,
    private readonly request: SessionLink['request'],
    private readonly onRemoved: (sid: string) => void,
  ) {}

  async watch(): Promise<SessionIndex> {
    if (!this.index) {
      this.index = new SessionIndex();
      this.index.on('removed', (sid) => this.onRemoved(sid));
      await this.transport.subscribe(topics.sessionIndexAll(this.principal));
      this.reconcile();
    }
    return this.index;
  }

  /** On every connection while watching: entries touched since the mark are newer than the list. */
  reconcile(): void {
    const index = this.index;
    if (!index) return;
    const mark = index.mark();
    this.request('sessions.list', { limit: LIST_LIMIT }).then(
      (reply) => {
        const sessions = (reply.data as { sessions?: unknown }).sessions;
        if (Array.isArray(sessions)) index.reconcile(sessions, sessions.length < LIST_LIMIT, mark);
      },
      () => {
        /* the next reconnect reconciles again */
      },
    );
  }
}
