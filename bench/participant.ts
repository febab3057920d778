/**
 * A Tether participant for the benchmarks: the client library's TetherClient (mqtt.js transport
 * with TCP_NODELAY and a QoS 1 window, command and request ledgers, resume) with its sessions
 * (SessionFeed: exactly once, in seq order; MessageFold) and StreamWriter (coalescing,
 * backpressure). Measured paths go through the library, never around it.
 */
import { TetherClient } from '../clients/lib/client.ts';
import type { Ack } from '../clients/lib/command-ledger.ts';
import type { MessageFold } from '../clients/lib/message-fold.ts';
import type { Session } from '../clients/lib/session.ts';
import type { FeedItem, SessionFeedOptions } from '../clients/lib/session-feed.ts';
import type { StreamWriter, StreamWriterOptions } from '../clients/lib/stream-writer.ts';

type D = Record<string, unknown>;

let counter = 0;

function options(url: string, principal: string) {
  // A distinct device per connection, so that many connections of one principal coexist.
  return {
    url,
    principal,
    device: `b${process.pid}x${++counter}`,
    backoff: { initialMs: 50, maxMs: 1000 },
    firstConnectTimeoutMs: 60_000,
    requestTimeoutMs: 60_000,
  };
}

export class BenchParticipant {
  private constructor(
    readonly client: TetherClient,
    readonly principal: string,
  ) {}

  /** Connects and resolves once online. */
  static async connect(url: string, principal: string): Promise<BenchParticipant> {
    return new BenchParticipant(await TetherClient.connect(options(url, principal)), principal);
  }

  /** Starts connecting without waiting (to time a join or a return from its first byte). */
  static begin(url: string, principal: string): BenchParticipant {
    const client = new TetherClient(options(url, principal));
    client.start(60_000).catch(() => {});
    return new BenchParticipant(client, principal);
  }

  command(sid: string, type: string, data: D, orderKey?: string): Promise<Ack> {
    return this.client.command(sid, type, data, { orderKey });
  }

  /**
   * A token stream writer for message msgId, opened as an agent does: it joins the session (so it
   * also receives the session's events, its own tokens included) and uses Session.stream().
   */
  async stream(sid: string, msgId: string, opts: StreamWriterOptions = {}): Promise<StreamWriter> {
    let session = this.client.session(sid);
    if (!session) {
      session = await this.client.join(sid, { after: 0 });
      // A listener, so that the session does not queue items for an iterator nobody takes.
      session.on('event', () => {});
    }
    return session.stream({ ...opts, msgId, role: 'agent' });
  }

  /**
   * Joins a session after lastSeq (history catch-up, then live) and calls deliver for every item
   * in order, with the session's message fold already updated by it.
   */
  async watch(
    sid: string,
    lastSeq: number,
    deliver: (item: FeedItem, messages: MessageFold) => void,
    opts: SessionFeedOptions = {},
  ): Promise<Session> {
    const session = await this.client.join(sid, { ...opts, after: lastSeq });
    session.on('item', (item) => deliver(item, session.messages));
    session.on('error', (err) => process.emitWarning(`session ${sid} of ${this.principal} failed: ${err.message}`));
    return session;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

export type { Ack, FeedItem };
