/**
 * Authentication and topic ACL through Aedes hooks only [SEC-*]. The same rules are written out
 * for Mosquitto by acl-mosquitto.ts. Principals come from the MQTT username, checked against a
 * users file (scrypt) or a signed token (JWT, HS256 or EdDSA); on a loopback-only broker without
 * configured auth, the username is trusted as the principal (like Mosquitto 2's local default).
 */
import { readFileSync } from 'node:fs';
import { scryptSync, timingSafeEqual, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { CryptoKey } from 'jose';
import { isId, parseTopic } from '../protocol/topics.ts';

export interface AuthConfig {
  /** Path of a users file: one `principal:$scrypt$N$r$p$salt$hash` line per user. */
  usersFile?: string;
  /** Shared secret for HS256 tokens. */
  jwtSecret?: string;
  /** PEM (SPKI) public key for EdDSA tokens. */
  jwtPublicKey?: string;
  /** Required `aud` of tokens, when set [SEC-JWT-4]. */
  jwtAudience?: string;
}

export interface Identity {
  /** undefined for a loopback observer (no username): may subscribe to everything, publish nothing [SEC-AUTH-6]. */
  principal?: string;
  host?: boolean;
  /** When the token the connection was opened with expires (ms since 1970) [SEC-JWT-5]. */
  expiresAt?: number;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/** A users-file hash in PHC string format: $scrypt$ln=15,r=8,p=1$salt$key (base64, no padding) [SEC-USERS-2]. */
export function hashPassword(password: string, ln = 15, r = 8, p = 1): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 2 ** ln, r, p, maxmem: 256 * 1024 * 1024 });
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

/** Derives the key with the line's own parameters and salt and compares in constant time [SEC-USERS-1]. */
export function verifyPassword(password: string, encoded: string): boolean {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(encoded);
  if (!m) return false;
  const [, ln, r, p, salt, key] = m;
  const expected = Buffer.from(key, 'base64');
  if (+ln > 22 || expected.length < 16) return false;
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: 2 ** +ln,
    r: +r,
    p: +p,
    maxmem: 1024 * 1024 * 1024,
  });
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
  private readonly algorithm?: 'HS256' | 'EdDSA';
  readonly hostSecret = randomBytes(24).toString('base64url');
  readonly hostUsername = 'tether-host';

  private constructor(
    readonly config: AuthConfig,
    readonly anonymousLoopback: boolean,
    key?: { key: Uint8Array | CryptoKey; algorithm: 'HS256' | 'EdDSA' },
  ) {
    if (config.usersFile) this.users = loadUsers(config.usersFile);
    this.key = key?.key;
    this.algorithm = key?.algorithm;
  }

  static async create(config: AuthConfig, anonymousLoopback: boolean): Promise<Authenticator> {
    // The algorithm comes from the configured key, never from the token header [SEC-JWT-1].
    let key: { key: Uint8Array | CryptoKey; algorithm: 'HS256' | 'EdDSA' } | undefined;
    if (config.jwtSecret) key = { key: new TextEncoder().encode(config.jwtSecret), algorithm: 'HS256' };
    if (config.jwtPublicKey) {
      const { importSPKI } = await import('jose');
      key = { key: await importSPKI(config.jwtPublicKey, 'EdDSA'), algorithm: 'EdDSA' };
    }
    return new Authenticator(config, anonymousLoopback, key);
  }

  get configured(): boolean {
    return Boolean(this.users || this.key);
  }

  /** The identity of a connecting client, or undefined when refused [SEC-AUTH-1]. */
  async authenticate(
    username: string | undefined,
    password: Buffer | undefined,
    remote: string | undefined,
  ): Promise<Identity | undefined> {
    if (username === this.hostUsername) {
      return password && password.toString() === this.hostSecret ? { host: true } : undefined;
    }
    // [SEC-AUTH-1] a user name is a principal; only a loopback-anonymous listener admits none (an observer).
    if (username === undefined || username === '') {
      return this.anonymousLoopback && isLoopback(remote) && !password ? {} : undefined;
    }
    if (!isId(username)) return undefined;
    if (password && this.users?.has(username)) {
      return verifyPassword(password.toString(), this.users.get(username)!) ? { principal: username } : undefined;
    }
    if (password && this.key) {
      try {
        // jose is loaded only where tokens are configured: it is a tenth of the start-up time otherwise.
        const { jwtVerify } = await import('jose');
        const { payload } = await jwtVerify(password.toString(), this.key, {
          algorithms: [this.algorithm!],
          clockTolerance: 60, // [SEC-JWT-3]
          ...(this.config.jwtAudience ? { audience: this.config.jwtAudience } : {}),
        });
        if (payload.sub !== username) return undefined; // [SEC-JWT-2]
        // The same skew applies to the end of the connection [SEC-JWT-5].
        return { principal: username, ...(payload.exp ? { expiresAt: (payload.exp + 60) * 1000 } : {}) };
      } catch {
        return undefined;
      }
    }
    if (this.anonymousLoopback && isLoopback(remote)) return { principal: username };
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
  if (!p) return true; // loopback observer: reads everything, publishes nothing [SEC-AUTH-6]
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
