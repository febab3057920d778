/**
 * Authentication and topic ACL through Aedes hooks only [SEC-*]. The same rules are written out
 * for Mosquitto by acl-mosquitto.ts. Principals come from the MQTT username, checked against a
 * users file (scrypt) or a signed token (JWT, HS256 or EdDSA); on a loopback-only broker without
 * configured auth, the username is trusted as the principal (like Mosquitto 2's local default).
 */
import { readFileSync } from 'node:fs';
import { scryptSync, timingSafeEqual, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { importSPKI, jwtVerify, type CryptoKey } from 'jose';
import { isId, parseTopic } from '../protocol/topics.ts';

export interface AuthConfig {
  /** Path of a users file: one `principal:$scrypt$N$r$p$salt$hash` line per user. */
  usersFile?: string;
  /** Shared secret for HS256 tokens. */
  jwtSecret?: string;
  /** PEM (SPKI) public key for EdDSA tokens. */
  jwtPublicKey?: string;
}

export interface Identity {
  /** undefined for a loopback observer (no username): may subscribe to everything, publish nothing. */
  principal?: string;
  host?: boolean;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

export function hashPassword(password: string, N = 16384, r = 8, p = 1): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N, r, p });
  return `$scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, encoded: string): boolean {
  const m = /^\$scrypt\$(\d+)\$(\d+)\$(\d+)\$([^$]+)\$([^$]+)$/.exec(encoded);
  if (!m) return false;
  const [, N, r, p, salt, hash] = m;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N: +N, r: +r, p: +p, maxmem: 256 * 1024 * 1024 });
  return timingSafeEqual(actual, expected);
}

export function loadUsers(file: string): Map<string, string> {
  const users = new Map<string, string>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#')) return;
      const idx = trimmed.indexOf(':');
      const name = trimmed.slice(0, idx);
      if (idx < 1 || !isId(name)) throw new Error(`${file}:${i + 1}: expected principal:$scrypt$... with a valid principal`);
      users.set(name, trimmed.slice(idx + 1));
    });
  return users;
}

export class Authenticator {
  private readonly users?: Map<string, string>;
  private readonly key?: Uint8Array | CryptoKey;
  readonly hostSecret = randomBytes(24).toString('base64url');
  readonly hostUsername = 'tether-host';

  private constructor(
    readonly config: AuthConfig,
    readonly anonymousLoopback: boolean,
    key?: Uint8Array | CryptoKey,
  ) {
    if (config.usersFile) this.users = loadUsers(config.usersFile);
    this.key = key;
  }

  static async create(config: AuthConfig, anonymousLoopback: boolean): Promise<Authenticator> {
    let key: Uint8Array | CryptoKey | undefined;
    if (config.jwtSecret) key = new TextEncoder().encode(config.jwtSecret);
    if (config.jwtPublicKey) key = await importSPKI(config.jwtPublicKey, 'EdDSA');
    return new Authenticator(config, anonymousLoopback, key);
  }

  get configured(): boolean {
    return Boolean(this.users || this.key);
  }

  /** The identity of a connecting client, or undefined when refused [SEC-AUTH-1]. */
  async authenticate(username: string | undefined, password: Buffer | undefined, remote: string | undefined): Promise<Identity | undefined> {
    if (username === this.hostUsername) {
      return password && password.toString() === this.hostSecret ? { host: true, principal: undefined } : undefined;
    }
    if (username !== undefined && !isId(username)) return undefined;
    if (username && password && this.users?.has(username)) {
      return verifyPassword(password.toString(), this.users.get(username)!) ? { principal: username } : undefined;
    }
    if (password && this.key) {
      try {
        const { payload } = await jwtVerify(password.toString(), this.key, {
          algorithms: ['HS256', 'EdDSA'],
        });
        if (typeof payload.sub !== 'string' || !isId(payload.sub)) return undefined;
        if (username && username !== payload.sub) return undefined;
        return { principal: payload.sub };
      } catch {
        return undefined;
      }
    }
    if (this.anonymousLoopback && isLoopback(remote)) return { principal: username || undefined };
    return undefined;
  }
}

/** Answers "is this principal a participant of that session?" from the host's state. */
export interface Membership {
  isParticipant(sid: string, principal: string): Promise<boolean>;
  /** Synchronous best-effort answer for forwarding; undefined when unknown. */
  knownParticipant(sid: string, principal: string): boolean | undefined;
}

/** May `id` publish on `topic`? [SEC-ACL-1] */
export async function mayPublish(id: Identity, topic: string, members: Membership): Promise<boolean> {
  if (id.host) return true;
  const p = id.principal;
  if (!p) return false;
  const t = parseTopic(topic);
  if (!t) return false;
  switch (t.kind) {
    case 'submit':
    case 'requests':
      return t.principal === p;
    case 'agentState':
      return t.agentId === p;
    case 'presence':
      return t.principal === p && (await members.isParticipant(t.sid, p));
    default:
      return false;
  }
}

/** May `id` subscribe to the filter? Wildcards only where every match is allowed [SEC-ACL-2]. */
export async function maySubscribe(id: Identity, filter: string, members: Membership): Promise<boolean> {
  if (id.host) return true;
  const p = id.principal;
  if (!p) return true; // loopback observer (anonymous loopback mode only)
  const l = filter.split('/');
  if (l[0] !== 'tether' || l[1] !== 'v1') return false;
  const rest = l.slice(2);
  const own = (x: string | undefined) => x === p;
  const any = (x: string | undefined) => x === '+' || isId(x);
  switch (rest[0]) {
    case 'host':
      return rest.length === 3 && any(rest[1]) && rest[2] === 'state';
    case 'agents':
      if (rest.length !== 3) return false;
      if (rest[2] === 'state') return any(rest[1]);
      if (rest[2] === 'inbox') return own(rest[1]);
      return false;
    case 'users':
      if (!own(rest[1])) return false;
      if (rest.length === 3 && (rest[2] === '#' || rest[2] === 'notify')) return true;
      return rest.length === 4 && rest[2] === 'sessions' && any(rest[3]);
    case 'replies':
      return own(rest[1]) && ((rest.length === 3 && (rest[2] === '#' || isId(rest[2]))) || rest.length === 2);
    case 'results':
      return rest.length === 2 && isId(rest[1]) && (await members.isParticipant(rest[1], p));
    case 'sessions': {
      const sid = rest[1];
      if (!isId(sid) || !(await members.isParticipant(sid, p))) return false;
      if (rest.length === 3) return rest[2] === 'events' || rest[2] === 'state' || rest[2] === '#';
      return rest[2] === 'presence' && rest.length <= 5 && rest.slice(3).every((x) => x === '+' || x === '#' || isId(x));
    }
    default:
      return false;
  }
}

/** Drops deliveries of session topics to a principal that is no longer a participant [SEC-ACL-3]. */
export function mayReceive(id: Identity, topic: string, members: Membership): boolean {
  if (id.host || !id.principal) return true;
  const t = parseTopic(topic);
  if (!t) return true;
  if (t.kind === 'events' || t.kind === 'sessionState' || t.kind === 'presence' || t.kind === 'result') {
    return members.knownParticipant(t.sid, id.principal) !== false;
  }
  return true;
}
