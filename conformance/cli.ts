/**
 * `tether conformance`: runs the conformance suite against an implementation and prints TAP.
 * Exit code 0 only when no MUST failed (SHOULD failures are warnings), 1 otherwise, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SUITE_PROFILES, type SuiteProfile } from './core/check.ts';
import type { Principal } from './host/context.ts';
import { ALL_CHECKS, runConformance, select } from './run.ts';

const HELP = `usage: tether conformance --profile PROFILE [options]

Runs the Tether v1 conformance suite and prints TAP on stdout.

profiles (repeat --profile or give a comma list):
  host     black box: a running host behind a broker (--broker URL, principals via --user)
  broker   black box: the broker of a deployment, its authentication and topic ACL through MQTT
           alone (--broker URL, principals via --user); needs no host
  agent    the suite plays broker and host; the agent under test is started with --spawn
  client   the suite plays broker and host; the client under test (an adapter) is started with --spawn
  device   device-facing outputs of a host (--broker URL, mosquitto_sub as the device), or a device
           under test started with --spawn

options:
  --broker URL            broker of the deployment under test (mqtt://, mqtts://, ws://, wss://)
  --user NAME[:PASSWORD]  a principal the suite may connect as (repeatable; give at least 5).
                          Without any, the suite uses fresh generated names without password
                          (the loopback anonymous mode of the embedded broker).
  --users-file FILE       principals, one NAME:PASSWORD per line
  --spare-user NAME:PW    a principal whose session quota a check may exhaust (pool mode)
  --host-id ID            the host to test when several publish births
  --ca FILE               PEM CA to verify a TLS broker
  --spawn "COMMAND"       implementation under test (agent, client, device); run with sh -c
  --only ID,...           only these checks: check ids, requirement IDs, or prefixes ending in *
  --list                  list the checks (id, profile, covered requirement IDs) and exit
  --report-dir DIR        write conformance-report.json and conformance-report.md there
  --concurrency N         checks run at once (default 6)
  --timeout MS            reply timeout of each request (default 5000)
`;

function principal(spec: string): Principal {
  const i = spec.indexOf(':');
  return i === -1 ? { name: spec } : { name: spec.slice(0, i), password: spec.slice(i + 1) };
}

/** `write` receives stdout text (tests pass their own; the CLI writes to process.stdout). */
export async function main(argv: string[], write: (text: string) => void = (text) => process.stdout.write(text)): Promise<number> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        profile: { type: 'string', multiple: true },
        broker: { type: 'string' },
        user: { type: 'string', multiple: true },
        'users-file': { type: 'string' },
        'spare-user': { type: 'string' },
        'host-id': { type: 'string' },
        ca: { type: 'string' },
        spawn: { type: 'string' },
        only: { type: 'string', multiple: true },
        list: { type: 'boolean' },
        'report-dir': { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`tether conformance: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    write(HELP);
    return 0;
  }
  const profiles = ((values.profile as string[] | undefined) ?? [])
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = profiles.filter((p) => !(SUITE_PROFILES as readonly string[]).includes(p));
  if (unknown.length) {
    process.stderr.write(`tether conformance: unknown profile ${unknown.join(', ')} (known: ${SUITE_PROFILES.join(', ')})\n`);
    return 2;
  }
  const only = ((values.only as string[] | undefined) ?? [])
    .flatMap((o) => o.split(','))
    .map((o) => o.trim())
    .filter(Boolean);
  const chosen = (profiles.length ? profiles : [...SUITE_PROFILES]) as SuiteProfile[];
  if (values.list) {
    for (const p of chosen) {
      for (const c of select(ALL_CHECKS[p], only))
        write(`${c.id}\t${c.profile}\t${c.covers.join(',')}${c.feature ? `\tfeature:${c.feature}` : ''}\n`);
    }
    return 0;
  }
  if (!profiles.length) {
    process.stderr.write(`tether conformance: give --profile (${SUITE_PROFILES.join(', ')})\n\n${HELP}`);
    return 2;
  }
  const users = ((values.user as string[] | undefined) ?? []).map(principal);
  if (typeof values['users-file'] === 'string') {
    for (const line of readFileSync(values['users-file'], 'utf8').split('\n')) {
      const l = line.trim();
      if (l && !l.startsWith('#')) users.push(principal(l));
    }
  }
  try {
    const report = await runConformance({
      profiles: chosen,
      broker: values.broker as string | undefined,
      users,
      spare: typeof values['spare-user'] === 'string' ? principal(values['spare-user']) : undefined,
      hostId: values['host-id'] as string | undefined,
      mqtt: typeof values.ca === 'string' ? { ca: readFileSync(values.ca) } : undefined,
      spawn: values.spawn as string | undefined,
      only,
      concurrency: values.concurrency ? Number(values.concurrency) : undefined,
      timeoutMs: values.timeout ? Number(values.timeout) : undefined,
      reportDir: values['report-dir'] as string | undefined,
      out: (line) => write(line + '\n'),
    });
    return report.passed ? 0 : 1;
  } catch (err) {
    process.stderr.write(`tether conformance: ${(err as Error).message}\n`);
    return 2;
  }
}
