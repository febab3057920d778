/** `tether host --broker URL`: the session host alone, against any MQTT 3.1.1 broker. */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { COMMON_FLAGS, limitsFrom, parseFlags, usage, type FlagSpec } from '../common/flags.ts';
import { SessionHost } from './host.ts';
import { SqliteStore } from './store/sqlite.ts';

const FLAGS: FlagSpec[] = [
  { flag: 'broker', env: 'TETHER_BROKER_URL', help: 'broker URL (mqtt://, mqtts://, ws://, wss://)', default: 'mqtt://127.0.0.1:1883' },
  {
    flag: 'username',
    env: 'TETHER_HOST_USERNAME',
    help: 'MQTT username of the host (the broker ACL must let it publish host topics)',
    default: 'tether-host',
  },
  { flag: 'password', env: 'TETHER_HOST_PASSWORD', help: 'MQTT password of the host' },
  { flag: 'ca', env: 'TETHER_CA', help: 'PEM CA file to verify the broker certificate' },
  ...COMMON_FLAGS,
];

export async function main(argv: string[]): Promise<number | void> {
  const values = parseFlags(argv, FLAGS);
  if (values.help) {
    process.stdout.write(usage('host', 'Runs the session host against an external MQTT 3.1.1 broker.', FLAGS));
    return 0;
  }
  const logger = pino({ level: String(values['log-level']) });
  const store = new SqliteStore(join(String(values.data), 'tether.db'), { synchronous: values.sync === 'NORMAL' ? 'NORMAL' : 'FULL' });
  const host = new SessionHost({
    brokerUrl: String(values.broker),
    store,
    hostId: String(values['host-id']),
    limits: limitsFrom(values),
    logger,
    mqtt: {
      username: String(values.username),
      password: typeof values.password === 'string' ? values.password : undefined,
      ca: typeof values.ca === 'string' ? readFileSync(values.ca) : undefined,
    },
  });
  await host.start();
  console.error(`tether host ${host.hostId} (epoch ${host.epoch}) connected to ${values.broker}`);
  const shutdown = () =>
    host
      .stop()
      .then(() => store.close())
      .then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
