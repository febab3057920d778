/** `tether acl --mosquitto`: write the Mosquitto ACL file equivalent to the embedded broker's hooks. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags, usage, type FlagSpec } from '../common/flags.ts';
import { mosquittoAcl } from './acl-mosquitto.ts';
import { SqliteStore } from '../host/store/sqlite.ts';

const FLAGS: FlagSpec[] = [
  { flag: 'mosquitto', env: '', help: 'write a Mosquitto acl_file (the only format so far)', boolean: true },
  { flag: 'data', env: 'TETHER_DATA_DIR', help: 'data directory of the host (reads session membership)', default: './data' },
  { flag: 'host-user', env: 'TETHER_HOST_USERNAME', help: 'MQTT username of the session host', default: 'tether-host' },
  { flag: 'out', env: '', help: 'output file (default: stdout)' },
  { flag: 'help', env: '', help: 'show this help', boolean: true },
];

export async function main(argv: string[]): Promise<number | void> {
  const values = parseFlags(argv, FLAGS);
  if (values.help || !values.mosquitto) {
    process.stdout.write(
      usage('acl', 'Writes broker ACL files equivalent to the embedded ACL (regenerate and SIGHUP on membership change).', FLAGS),
    );
    return values.help ? 0 : 2;
  }
  const store = new SqliteStore(join(String(values.data), 'tether.db'));
  try {
    const text = await mosquittoAcl(store, { hostUsername: String(values['host-user']) });
    if (typeof values.out === 'string') writeFileSync(values.out, text);
    else process.stdout.write(text);
  } finally {
    await store.close();
  }
}
