/**
 * The broker's persistence: aedes-persistence's in-memory store, with one behaviour changed through its
 * public methods. Aedes 1.2 delivers a QoS 1 message to a persistent (clean session 0) subscriber by
 * first updating the copy it queued for that client (`outgoingUpdate`); when no copy was queued, the
 * update throws "no such packet" and Aedes closes the client's connection. That happens whenever the
 * subscription arrived between the publish's offline enqueue and its live delivery (a client that
 * subscribes or resumes while live messages flow) and when a queued copy was acknowledged while the
 * queue was being replayed after CONNACK: the connection is dropped 10-100 ms after CONNACK, then
 * again on the reconnect (issue 10 item 11). Here a missing copy is queued and then updated, so the
 * message is sent (QoS 1 allows a repeat; Tether clients drop it by seq) and the connection stays.
 */
import { createRequire } from 'node:module';
import type { Client } from 'aedes';

const require = createRequire(import.meta.url);

interface QueuedPacket {
  brokerId: string;
  brokerCounter: number;
  messageId?: number;
}

interface MemoryPersistenceClass {
  new (
    opts?: object,
  ): {
    outgoingEnqueue(sub: { clientId: string }, packet: QueuedPacket): Promise<void>;
    outgoingUpdate(client: Client, packet: QueuedPacket): Promise<void>;
  };
}

const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as MemoryPersistenceClass;

export const NO_SUCH_PACKET = 'no such packet';

export class LivePersistence extends MemoryPersistence {
  /** How often a live delivery found no queued copy (exported as a metric and read by tests). */
  unqueuedDeliveries = 0;

  override async outgoingUpdate(client: Client, packet: QueuedPacket): Promise<void> {
    try {
      await super.outgoingUpdate(client, packet);
    } catch (err) {
      if (!(err instanceof Error) || err.message !== NO_SUCH_PACKET) throw err;
      this.unqueuedDeliveries++;
      await this.outgoingEnqueue({ clientId: client.id }, packet);
      await super.outgoingUpdate(client, packet);
    }
  }
}
