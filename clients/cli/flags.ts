/**
 * Flags of the terminal client and the shell bridge: the connection flags every command takes,
 * each command's own, and positional arguments, with one help format for all of them.
 */
import { parseArgs } from 'node:util';
import type { FlagSpec } from '../../common/flags.ts';
import { isId } from '../../protocol/topics.ts';
import { UsageError } from './errors.ts';
import { EXIT } from './exit-codes.ts';

export type { FlagSpec };
export type FlagValues = Record<string, string | boolean | undefined>;

export interface CommandSpec {
  name: string;
  /** Positional arguments as shown in the usage line, e.g. `SID TEXT...`. */
  synopsis: string;
  summary: string;
  /** Flags of this command, shown before the connection flags. */
  flags: FlagSpec[];
  /** How many positional arguments the command takes: at least, at most. */
  args: [number, number];
  /** Extra help text after the flags (examples, notes). */
  notes?: string;
}

export const CONNECTION_FLAGS: FlagSpec[] = [
  { flag: 'url', env: 'TETHER_URL', help: 'broker URL: mqtt://, mqtts://, ws:// or wss://', default: 'mqtt://127.0.0.1:1883' },
  { flag: 'user', env: 'TETHER_USER', help: 'your principal, the MQTT username (default $USER, else me)' },
  { flag: 'password', env: 'TETHER_PASSWORD', help: 'password or signed token of the principal' },
  { flag: 'connect-timeout', env: 'TETHER_CONNECT_TIMEOUT', help: 'seconds to reach the broker before giving up (exit 3)', default: '10' },
  { flag: 'json', env: '', help: 'machine-readable output (shapes in clients/cli/README.md)', boolean: true },
  { flag: 'help', env: '', help: 'show this help', boolean: true },
];

/** `--timeout` of the one-shot commands: how long to wait for the host's answer. */
export const ANSWER_TIMEOUT_FLAG: FlagSpec = {
  flag: 'timeout',
  env: 'TETHER_TIMEOUT',
  help: 'seconds to wait for the host to answer (exit 6 after)',
  default: '30',
};

/** `--agent` of the shell bridge: who waits, replies and acknowledges. */
export const AGENT_FLAG: FlagSpec = {
  flag: 'agent',
  env: 'TETHER_AGENT',
  help: 'the agent principal whose inbox is used (default: --user)',
};

export interface Connection {
  url: string;
  user: string;
  password?: string;
  connectTimeoutMs: number;
  json: boolean;
}

export interface Parsed {
  values: FlagValues;
  args: string[];
  connection: Connection;
}

const URL_SCHEMES = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:', 'tls:']);

export function parseCommand(spec: CommandSpec, argv: string[], env: NodeJS.ProcessEnv = process.env): Parsed {
  const all = [...spec.flags, ...CONNECTION_FLAGS];
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    const options = Object.fromEntries(all.map((s) => [s.flag, { type: s.boolean ? ('boolean' as const) : ('string' as const) }]));
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values: FlagValues = {};
  for (const s of all) {
    const v = parsed.values[s.flag];
    values[s.flag] = v ?? (s.env && env[s.env] !== undefined && env[s.env] !== '' ? env[s.env] : s.boolean ? false : s.default);
  }
  if (values.help) return { values, args: parsed.positionals, connection: connectionOf(values, env, false) };
  const [min, max] = spec.args;
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(`missing argument: tether ${spec.name} ${spec.synopsis}`.trimEnd());
  if (n > max)
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}: tether ${spec.name} ${spec.synopsis}`.trimEnd());
  return { values, args: parsed.positionals, connection: connectionOf(values, env, true) };
}

function connectionOf(values: FlagValues, env: NodeJS.ProcessEnv, check: boolean): Connection {
  const url = String(values.url);
  const user = typeof values.user === 'string' && values.user !== '' ? values.user : env.USER || 'me';
  const connection: Connection = {
    url,
    user,
    password: typeof values.password === 'string' && values.password !== '' ? values.password : undefined,
    connectTimeoutMs: seconds(values['connect-timeout'], 'connect-timeout', check) * 1000,
    json: values.json === true,
  };
  if (!check) return connection;
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new UsageError(`--url is not a URL: ${JSON.stringify(url)}`);
  }
  if (!URL_SCHEMES.has(scheme)) throw new UsageError(`--url must be mqtt://, mqtts://, ws:// or wss://, got ${JSON.stringify(url)}`);
  principal(user, 'user');
  return connection;
}

/** A non-negative number of seconds (fractions allowed). */
export function seconds(value: string | boolean | undefined, name: string, check = true): number {
  const n = Number(value);
  if (!check) return Number.isFinite(n) && n >= 0 ? n : 0;
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${name} must be a number of seconds >= 0, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A principal or other id in the ID alphabet. */
export function principal(value: string, what: string): string {
  if (!isId(value))
    throw new UsageError(`${what} must be 1-64 of A-Z a-z 0-9 . _ - (starting with a letter or digit), got ${JSON.stringify(value)}`);
  return value;
}

/** The `--agent` principal: the flag, else --user. */
export function agentOf(parsed: Parsed): string {
  const agent = parsed.values.agent;
  return typeof agent === 'string' && agent !== '' ? principal(agent, '--agent') : parsed.connection.user;
}

export function help(spec: CommandSpec): string {
  const row = (s: FlagSpec) => {
    const left = `  --${s.flag}${s.boolean ? '' : ' VALUE'}`;
    const right = `${s.help}${s.default ? ` (default ${s.default})` : ''}${s.env ? ` [env ${s.env}]` : ''}`;
    return `${left.padEnd(26)} ${right}`;
  };
  const own = spec.flags.length ? `\noptions:\n${spec.flags.map(row).join('\n')}\n` : '';
  const notes = spec.notes ? `\n${spec.notes.trimEnd()}\n` : '';
  return (
    `usage: tether ${spec.name} ${spec.synopsis}`.trimEnd() +
    ` [options]\n\n${spec.summary}\n${own}\nconnection and output:\n${CONNECTION_FLAGS.map(row).join('\n')}\n${notes}` +
    `\nexit codes: ${Object.entries(EXIT)
      .map(([name, code]) => `${code} ${name.toLowerCase().replace('_', ' ')}`)
      .join(', ')} (clients/cli/README.md)\n`
  );
}
