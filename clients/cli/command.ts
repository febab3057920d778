/**
 * Runs one CLI command: parses its flags, prints help, connects, maps every failure to its exit
 * code and closes what the command opened, whatever happens.
 */
import { TetherClient, TetherError, type ClientOptions } from '../lib/index.ts';
import { CliError, failureOf } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { help, parseCommand, type CommandSpec, type Parsed } from './flags.ts';
import { Output } from './output.ts';

export interface Invocation extends Parsed {
  out: Output;
  /** Connects as `principal` (default --user); the client is closed when the command ends. */
  connect(principal?: string, extra?: Partial<ClientOptions>): Promise<TetherClient>;
}

export async function runCommand(spec: CommandSpec, argv: string[], body: (inv: Invocation) => Promise<number | void>): Promise<number> {
  let out = new Output(spec.name, argv.includes('--json'));
  const clients: TetherClient[] = [];
  try {
    const parsed = parseCommand(spec, argv);
    out = new Output(spec.name, parsed.connection.json);
    if (parsed.values.help) {
      process.stdout.write(help(spec));
      return EXIT.OK;
    }
    const connect = async (principal = parsed.connection.user, extra: Partial<ClientOptions> = {}) => {
      const client = await connectClient(parsed, principal, extra);
      clients.push(client);
      return client;
    };
    return (await body({ ...parsed, out, connect })) ?? EXIT.OK;
  } catch (err) {
    const f = failureOf(err);
    out.error(f, f.exit === EXIT.USAGE ? `Run \`tether ${spec.name} --help\` for the options.` : undefined);
    return f.exit;
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }
}

async function connectClient(parsed: Parsed, principal: string, extra: Partial<ClientOptions>): Promise<TetherClient> {
  const { url, password, connectTimeoutMs } = parsed.connection;
  const client = new TetherClient({ url, principal, password, connectTimeoutMs: Math.max(1000, connectTimeoutMs), ...extra });
  // A refusal for good is reported through start() and the 'closed' state; without a listener the
  // emitter would have nowhere to put it.
  client.on('error', () => {});
  try {
    await client.start(Math.max(1, connectTimeoutMs));
  } catch (err) {
    await client.close().catch(() => {});
    if (err instanceof TetherError && err.code === 'CONNECT_REFUSED') {
      const rc = (err.details as { returnCode?: number } | undefined)?.returnCode;
      const why = rc === 4 ? 'bad user name or password' : rc === 5 ? 'not authorised' : `CONNACK return code ${rc}`;
      throw new CliError(EXIT.AUTH_REFUSED, 'CONNECT_REFUSED', `the broker at ${url} refused ${principal}: ${why}`);
    }
    if (err instanceof TetherError && (err.code === 'TIMEOUT' || err.code === 'CLOSED')) {
      throw new CliError(EXIT.CANNOT_CONNECT, 'CANNOT_CONNECT', `cannot reach the broker at ${url} within ${connectTimeoutMs / 1000} s`);
    }
    throw err;
  }
  return client;
}

/** Resolves like `p`, or fails with TIMEOUT (exit 6) after `seconds`. */
export async function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CliError(EXIT.TIMEOUT, 'TIMEOUT', `no answer from the host within ${seconds} s (${what}); it may still be applied`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
