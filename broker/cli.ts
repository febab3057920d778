/** `tether broker` / `npm start`: embedded Aedes broker + session host, no configuration needed. */
import { join } from 'node:path';
import { COMMON_FLAGS, intFlag, limitsFrom, parseFlags, readMaybe, usage, type FlagSpec } from '../common/flags.ts';
import { ConfigError, startTether } from './embedded.ts';
import { AGENT_FLAGS, UsageError, agentOptionsFrom } from '../clients/agent/cli.ts';
import { ReferenceAgent } from '../clients/agent/agent.ts';

const FLAGS: FlagSpec[] = [
  { flag: 'bind', env: 'TETHER_BIND', help: 'address to listen on; non-loopback requires --users or --jwt-*', default: '127.0.0.1' },
  { flag: 'port', env: 'TETHER_MQTT_PORT', help: 'MQTT/TCP port (0 = any free port)', default: '1883' },
  {
    flag: 'http-port',
    env: 'TETHER_HTTP_PORT',
    help: 'HTTP port: the web app at /, MQTT over WebSocket at /mqtt, /healthz, /metrics',
    default: '8083',
  },
  { flag: 'tls-cert', env: 'TETHER_TLS_CERT', help: 'PEM certificate: serve mqtts and wss/https' },
  { flag: 'tls-key', env: 'TETHER_TLS_KEY', help: 'PEM private key for --tls-cert' },
  { flag: 'users', env: 'TETHER_USERS_FILE', help: 'users file (principal:$scrypt$..., see `tether passwd`)' },
  { flag: 'jwt-secret', env: 'TETHER_JWT_SECRET', help: 'accept HS256 tokens signed with this secret as MQTT password' },
  { flag: 'jwt-public-key', env: 'TETHER_JWT_PUBLIC_KEY', help: 'PEM file: accept EdDSA tokens verified with this key' },
  { flag: 'jwt-audience', env: 'TETHER_JWT_AUDIENCE', help: 'required aud claim of tokens' },
  {
    flag: 'history-cache',
    env: 'TETHER_HISTORY_CACHE_MB',
    help: 'MiB of recent events kept in memory for history pages (0 = off)',
    default: '64',
  },
  {
    flag: 'host-link',
    env: 'TETHER_HOST_LINK',
    help: 'in-process (host attached to the broker) or mqtt (host connects over loopback MQTT with a Will)',
    default: 'in-process',
  },
  ...COMMON_FLAGS,
];

/** `tether start` also runs the reference agent (demo model unless an endpoint is configured). */
const START_FLAGS: FlagSpec[] = [
  ...FLAGS.filter((f) => f.flag !== 'help'),
  { flag: 'no-agent', env: 'TETHER_NO_AGENT', help: 'do not start the reference agent', boolean: true },
  ...AGENT_FLAGS.filter((f) => !['url', 'task', 'schedule', 'title', 'participants', 'help'].includes(f.flag)),
  { flag: 'help', env: '', help: 'show this help', boolean: true },
];

export async function main(argv: string[]): Promise<number | void> {
  const start = argv[0] === '--start';
  const values = parseFlags(start ? argv.slice(1) : argv, start ? START_FLAGS : FLAGS);
  if (values.help) {
    process.stdout.write(
      start
        ? usage('start', 'Runs the embedded MQTT broker, the session host and the reference agent in one process.', START_FLAGS)
        : usage('broker', 'Runs the embedded MQTT broker and the session host in one process.', FLAGS),
    );
    return 0;
  }
  if (values['host-link'] !== 'in-process' && values['host-link'] !== 'mqtt') {
    console.error(`tether: --host-link must be in-process or mqtt, got ${JSON.stringify(values['host-link'])}`);
    return 2;
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    console.error('tether: --tls-cert and --tls-key go together');
    return 2;
  }
  try {
    const tether = await startTether({
      bind: String(values.bind),
      mqttPort: intFlag(values.port, 'port'),
      httpPort: intFlag(values['http-port'], 'http-port'),
      dataDir: String(values.data),
      tls: values['tls-cert'] ? { cert: String(values['tls-cert']), key: String(values['tls-key']) } : undefined,
      auth: {
        usersFile: typeof values.users === 'string' ? values.users : undefined,
        jwtSecret: typeof values['jwt-secret'] === 'string' ? values['jwt-secret'] : undefined,
        jwtPublicKey: readMaybe(values['jwt-public-key']),
        jwtAudience: typeof values['jwt-audience'] === 'string' ? values['jwt-audience'] : undefined,
      },
      hostId: String(values['host-id']),
      limits: limitsFrom(values),
      logLevel: String(values['log-level']),
      synchronous: values.sync === 'NORMAL' ? 'NORMAL' : 'FULL',
      hostLink: values['host-link'],
      historyCacheMiB: intFlag(values['history-cache'], 'history-cache'),
    });
    console.error(
      `tether: MQTT ${tether.mqttUrl}  WebSocket ${tether.wsUrl}  health ${tether.httpUrl}/healthz  data ${join(String(values.data), 'tether.db')}`,
    );
    console.error(`tether: web app ${tether.httpUrl}/`);
    let agent: ReferenceAgent | undefined;
    if (start && !values['no-agent']) {
      try {
        const opts = agentOptionsFrom({ ...values, url: tether.mqttUrl }, (level, msg, fields) => {
          if (level !== 'info' || values['log-level'] === 'info' || values['log-level'] === 'debug')
            console.error(`agent: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
        });
        agent = new ReferenceAgent(opts);
        await agent.start();
        console.error(`tether: agent ${opts.agentId} online (model: ${opts.model.label})`);
      } catch (err) {
        await tether.close();
        if (err instanceof UsageError) {
          console.error(`tether: ${err.message}`);
          return 2;
        }
        throw err;
      }
    }
    const shutdown = (signal: string) => {
      console.error(`tether: ${signal}, shutting down`);
      Promise.resolve(agent?.stop())
        .then(() => tether.close())
        .then(
          () => process.exit(0),
          (err) => {
            console.error(err);
            process.exit(1);
          },
        );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  } catch (err) {
    if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`tether: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
}
