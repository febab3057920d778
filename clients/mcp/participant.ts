/**
 * The Tether side of `tether mcp`: one client connection under the MCP principal, shared by every
 * MCP session of the process. It connects with an agent card, which makes the principal an agent
 * on the wire (its messages carry role `agent`, its card and liveness are retained), and follows a
 * session only while a tool needs its live events (a stream, an open question).
 */
import { TetherClient, type AgentCard, type Session } from '../lib/index.ts';

export const MCP_VERSION = '0.1.0';

export interface ParticipantOptions {
  url: string;
  principal: string;
  password?: string;
  /** Name on the agent card (default: "{principal} (MCP)"). */
  name?: string;
  firstConnectTimeoutMs?: number;
}

export function mcpAgentCard(name: string): AgentCard {
  return {
    name: name.slice(0, 100),
    description:
      'An AI agent taking part through `tether mcp` (Claude Code, Codex, Cursor or another MCP client): it pulls work from its inbox, ' +
      'reads and searches sessions, answers (streamed), and asks people for decisions.',
    version: MCP_VERSION,
    skills: [
      { id: 'mcp', name: 'MCP client agent', description: 'Works in sessions through the tools of tether mcp.', tags: ['mcp'] },
      { id: 'ask-human', name: 'Asks before acting', description: 'Input requests with deadlines and declared defaults.', tags: ['hitl'] },
    ],
    // Runs, steering and cancel belong to the calling agent's own loop, which Tether cannot see.
    capabilities: { streaming: true, inputRequests: true, steering: false, cancel: false },
  };
}

/** A followed session, held until release(). */
export interface Following {
  session: Session;
  release(): void;
}

interface Followed {
  joined: Promise<Session>;
  holders: number;
}

export class Participant {
  private readonly followed = new Map<string, Followed>();
  private readonly leaving = new Map<string, Promise<void>>();

  private constructor(readonly client: TetherClient) {}

  static async connect(opts: ParticipantOptions): Promise<Participant> {
    const client = new TetherClient({
      url: opts.url,
      principal: opts.principal,
      password: opts.password,
      agent: mcpAgentCard(opts.name ?? `${opts.principal} (MCP)`),
      firstConnectTimeoutMs: opts.firstConnectTimeoutMs,
    });
    await client.start(opts.firstConnectTimeoutMs);
    return new Participant(client);
  }

  get principal(): string {
    return this.client.principal;
  }

  /**
   * Follows a session's live events from `after` on (joining it if no tool follows it yet). The
   * session is left when the last holder releases it, so an idle MCP server follows nothing.
   */
  async follow(sid: string, after: number): Promise<Following> {
    await this.leaving.get(sid);
    let f = this.followed.get(sid);
    if (!f) {
      const joined = this.client.join(sid, { after, compact: true }).then((s) => {
        // A listener instead of an iterator: the join-time queue is not kept.
        s.on('event', () => {});
        return s;
      });
      const entry: Followed = { joined, holders: 0 };
      joined.catch(() => {
        if (this.followed.get(sid) === entry) this.followed.delete(sid);
      });
      this.followed.set(sid, (f = entry));
    }
    const entry = f;
    entry.holders++;
    let session: Session;
    try {
      session = await entry.joined;
    } catch (err) {
      entry.holders--;
      throw err;
    }
    let released = false;
    return {
      session,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.holders > 0 || this.followed.get(sid) !== entry) return;
        this.followed.delete(sid);
        const left = session.leave().catch(() => {});
        this.leaving.set(sid, left);
        void left.then(() => {
          if (this.leaving.get(sid) === left) this.leaving.delete(sid);
        });
      },
    };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
