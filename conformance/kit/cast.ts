/**
 * The cast of a check: the principals it needs, each connected as a wire peer, and a fresh session
 * with their roles. A check names the characters it plays with and their roles, e.g.
 * `ctx.cast({ member: 'member', bot: 'agent', eve: 'outsider' })`, and gets `{ sid, owner, member, bot, eve }`.
 * The owner creates the session; the others are listed as participants in the order given,
 * except outsiders, which are connected but take no part in it.
 */
import type { Role } from '../../schemas/src/index.ts';
import type { Peer } from '../wire-peer.ts';

export type CastRole = Role | 'outsider';

/** Characters and their roles; `owner` and `sid` are the scene's own names. */
export type Cast = Record<string, CastRole> & { owner?: never; sid?: never };

export type Players<C extends Cast> = { [K in Exclude<keyof C, 'owner' | 'sid'>]: Peer };

export type Scene<C extends Cast> = { sid: string; owner: Peer } & Players<C>;

export interface CastOptions {
  /** Title of the session (default "conformance"). */
  title?: string;
  /** The owner follows the session's events and state topics from the start. */
  follow?: boolean;
  /** Reply timeout of every peer of the cast (ms). */
  timeoutMs?: number;
  /** Runs once the peers are connected, before session.create (e.g. to subscribe to what the creation publishes). */
  beforeCreate?: (owner: Peer, players: Players<Cast>) => Promise<void>;
}

/** What a context offers the cast: distinct principals, peers, a session, following it. */
export interface Stage {
  principals(n: number): string[];
  peer(principal: string, opts?: { timeoutMs?: number }): Promise<Peer>;
  session(owner: Peer, participants: { principal: string; role: string }[], title?: string): Promise<string>;
  follow(peer: Peer, sid: string): Promise<void>;
}

export async function castSession<C extends Cast>(stage: Stage, cast: C, opts: CastOptions = {}): Promise<Scene<C>> {
  const names = Object.keys(cast);
  const [ownerName, ...others] = stage.principals(1 + names.length);
  const peerOpts = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  const owner = await stage.peer(ownerName, peerOpts);
  const players: Record<string, Peer> = {};
  for (let i = 0; i < names.length; i++) players[names[i]] = await stage.peer(others[i], peerOpts);
  await opts.beforeCreate?.(owner, players);
  const participants = names
    .filter((n) => cast[n] !== 'outsider')
    .map((n) => ({ principal: players[n].principal, role: cast[n] as string }));
  const sid = await stage.session(owner, participants, opts.title);
  if (opts.follow) await stage.follow(owner, sid);
  return { sid, owner, ...players } as Scene<C>;
}
