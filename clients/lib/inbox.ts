/**
 * An agent's inbox: pull-based work items (list = peek, ack, archive with a reason, defer until a
 * time) and the retained doorbell that says how many items wait. Only the agent itself may use
 * its inbox; the agent id is its principal [ROLE-AGENT-1].
 */
import type { InboxItem } from '../../schemas/src/index.ts';
import { Emitter } from './emitter.ts';

export interface InboxPage {
  agentId: string;
  items: InboxItem[];
  pending: number;
}

export interface Doorbell {
  agentId: string;
  pending: number;
  time: string;
}

type Request = (type: string, data: Record<string, unknown>) => Promise<{ type: string; data: Record<string, unknown> }>;

export class Inbox extends Emitter<{ doorbell: (bell: Doorbell) => void }> {
  private last?: Doorbell;

  constructor(
    readonly agentId: string,
    private readonly request: Request,
  ) {
    super();
  }

  /** The latest doorbell seen (after watch()). */
  get doorbell(): Doorbell | undefined {
    return this.last;
  }

  async list(limit?: number): Promise<InboxPage> {
    const data: Record<string, unknown> = { agentId: this.agentId };
    if (limit !== undefined) data.limit = limit;
    return (await this.request('inbox.list', data)).data as unknown as InboxPage;
  }

  /** Marks items done; resolves with how many changed. */
  async ack(itemIds: string[]): Promise<number> {
    return this.verb('inbox.ack', { itemIds });
  }

  async archive(itemIds: string[], reason: string): Promise<number> {
    return this.verb('inbox.archive', { itemIds, reason });
  }

  async defer(itemIds: string[], until: Date | string): Promise<number> {
    return this.verb('inbox.defer', { itemIds, until: typeof until === 'string' ? until : until.toISOString() });
  }

  /** Internal: a retained doorbell arrived. */
  onDoorbell(payload: unknown): void {
    const d = payload as Doorbell | undefined;
    if (!d || typeof d.pending !== 'number') return;
    this.last = d;
    this.emit('doorbell', d);
  }

  private async verb(type: string, data: Record<string, unknown>): Promise<number> {
    const reply = await this.request(type, { agentId: this.agentId, ...data });
    return Number(reply.data.affected ?? 0);
  }
}
