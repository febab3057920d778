/**
 * What a committed batch makes visible, in this order: the events, the retained session states
 * that summarise them, index entries, notifications and results, and last the acks [HOST-DURABLE-2].
 * All of it goes through one outbox, so it reaches the broker in that order.
 */
import { topics } from '../../protocol/topics.ts';
import type { EventEnvelope } from '../../schemas/src/index.ts';
import type { Batch } from '../commit/batch.ts';
import type { CommitBatch } from '../store/store.ts';
import { indexEntryJson } from './index-entry.ts';
import type { Outbox } from './outbox.ts';
import { ackJson, replyJson } from './replies.ts';
import type { TailCache } from './tail-cache.ts';

export class CommitPublisher {
  constructor(
    private readonly outbox: Outbox,
    /** Recent committed events as published JSON, for history pages without a store read. */
    private readonly tail: TailCache,
    private readonly maxMessageBytes: number,
  ) {}

  committed(batch: Batch, commit: CommitBatch): void {
    this.publishEvents(batch);
    // Retained snapshots after the events they summarise.
    const stateSids = new Set(batch.accepted.filter((a) => a.effects.stateChanged).map((a) => a.event.sid));
    for (const row of commit.sessions)
      if (stateSids.has(row.state.sid)) void this.outbox.publish(topics.sessionState(row.state.sid), JSON.stringify(row.state), true);
    const states = new Map(commit.sessions.map((r) => [r.state.sid, r.state]));
    for (const a of batch.accepted) {
      const state = states.get(a.event.sid)!;
      for (const ix of a.effects.index) {
        void this.outbox.publish(
          topics.sessionIndex(ix.principal, a.event.sid),
          ix.removed ? '' : indexEntryJson(state, ix.principal),
          true,
        );
      }
      for (const n of a.effects.notify) void this.outbox.publish(topics.notify(n.principal), n.payload);
      if (a.effects.result) void this.outbox.publish(topics.result(a.event.sid), a.effects.result.payload, true);
      // The ack comes last: the event is durable and on its way [HOST-DURABLE-2][HOST-PUBLISH-2].
      if (a.replyTo) void this.outbox.publish(a.replyTo, ackJson(a.event.cid ?? '', a.event.sid, a.event.seq, false));
    }
    for (const d of batch.duplicates) {
      if (d.replyTo) void this.outbox.publish(d.replyTo, ackJson(d.re, d.sid, d.seq, true));
    }
  }

  /** Nothing of the batch was written: each sender is told to retry [HOST-DURABLE-4]. */
  failed(batch: Batch): void {
    for (const a of batch.accepted) {
      if (!a.replyTo) continue;
      void this.outbox.publish(
        a.replyTo,
        replyJson('error', a.event.cid ?? '', {
          code: 'INTERNAL',
          rule: 'HOST-DURABLE-4',
          message: 'store write failed; retry',
          sid: a.event.sid,
        }),
      );
    }
  }

  /** Events: per session, in seq order, several consecutive events per message [HOST-PUBLISH-1]. */
  private publishEvents(batch: Batch): void {
    const bySession = new Map<string, EventEnvelope[]>();
    for (const a of batch.accepted) {
      let list = bySession.get(a.event.sid);
      if (!list) bySession.set(a.event.sid, (list = []));
      list.push(a.event);
    }
    // Batches stay under maxMessageBytes [HOST-LIMIT-7] (and small enough not to delay other sessions).
    const maxBytes = Math.min(this.maxMessageBytes - 256, 256 * 1024);
    for (const [sid, events] of bySession) {
      let group: string[] = [];
      let bytes = 0;
      const send = () => {
        if (group.length)
          void this.outbox.publish(topics.events(sid), `{"v":1,"sid":${JSON.stringify(sid)},"events":[${group.join(',')}]}`);
        group = [];
        bytes = 0;
      };
      for (const e of events) {
        const text = JSON.stringify(e);
        this.tail.append(sid, e.seq, text);
        const size = Buffer.byteLength(text) + 1;
        if (group.length && (group.length >= 1000 || bytes + size > maxBytes)) send();
        group.push(text);
        bytes += size;
      }
      send();
    }
  }
}
