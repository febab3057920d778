/** Command-line flags and environment variables of `tether broker` and `tether host`. */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import type { Limits } from '../schemas/src/index.ts';

export interface FlagSpec {
  flag: string;
  env: string;
  help: string;
  default?: string;
  boolean?: boolean;
}

export const LIMIT_FLAGS: (FlagSpec & { limit: keyof Limits })[] = [
  { flag: 'max-payload', env: 'TETHER_MAX_PAYLOAD', limit: 'maxPayloadBytes', help: 'largest accepted payload in bytes', default: '65536' },
  { flag: 'rate', env: 'TETHER_RATE', limit: 'commandsPerSecond', help: 'commands per second per principal (burst 2x)', default: '500' },
  { flag: 'max-page', env: 'TETHER_MAX_PAGE', limit: 'maxHistoryPage', help: 'largest history page', default: '1000' },
  {
    flag: 'max-sessions',
    env: 'TETHER_MAX_SESSIONS',
    limit: 'maxSessionsPerPrincipal',
    help: 'sessions one principal may create',
    default: '1000',
  },
  { flag: 'retention', env: 'TETHER_RETENTION', limit: 'retentionEvents', help: 'events kept per session, 0 = all', default: '0' },
  {
    flag: 'max-message',
    env: 'TETHER_MAX_MESSAGE',
    limit: 'maxMessageBytes',
    help: 'largest event batch or reply the host publishes',
    default: '1048576',
  },
];

export const COMMON_FLAGS: FlagSpec[] = [
  { flag: 'data', env: 'TETHER_DATA_DIR', help: 'data directory (SQLite)', default: './data' },
  { flag: 'host-id', env: 'TETHER_HOST_ID', help: 'host id in topics', default: 'main' },
  { flag: 'sync', env: 'TETHER_SYNC', help: 'SQLite synchronous mode: FULL (power-loss safe) or NORMAL (crash safe)', default: 'FULL' },
  { flag: 'log-level', env: 'TETHER_LOG_LEVEL', help: 'pino log level', default: 'info' },
  ...LIMIT_FLAGS,
  { flag: 'help', env: '', help: 'show this help', boolean: true },
];

export function parseFlags(argv: string[], specs: FlagSpec[]): Record<string, string | boolean | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(specs.map((s) => [s.flag, { type: s.boolean ? 'boolean' : 'string' }])) as never,
    allowPositionals: false,
    strict: true,
  });
  const out: Record<string, string | boolean | undefined> = {};
  for (const s of specs) {
    const v = (values as Record<string, string | boolean | undefined>)[s.flag];
    out[s.flag] = v ?? (s.env && process.env[s.env] !== undefined ? process.env[s.env] : s.default);
  }
  return out;
}

export function usage(command: string, summary: string, specs: FlagSpec[]): string {
  const lines = specs.map((s) => {
    const left = `  --${s.flag}${s.boolean ? '' : ' VALUE'}`;
    const right = `${s.help}${s.default ? ` (default ${s.default})` : ''}${s.env ? ` [env ${s.env}]` : ''}`;
    return `${left.padEnd(28)} ${right}`;
  });
  return `usage: tether ${command} [options]\n\n${summary}\n\noptions:\n${lines.join('\n')}\n`;
}

export function intFlag(value: string | boolean | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

export function limitsFrom(values: Record<string, string | boolean | undefined>): Partial<Limits> {
  const limits: Partial<Limits> = {};
  for (const s of LIMIT_FLAGS) limits[s.limit] = intFlag(values[s.flag], s.flag);
  return limits;
}

export function readMaybe(path: string | boolean | undefined): string | undefined {
  return typeof path === 'string' && path ? readFileSync(path, 'utf8') : undefined;
}
