/**
 * The host and broker profiles against the reference host: on its embedded Aedes broker (also with retention on,
 * so that expired cursors are exercised), and on Debian's Mosquitto with the generated ACL.
 *
 * Known failures are listed with their cause. The lists are exact: a listed ID that starts passing
 * fails this test too (remove it from the list), so the lists only ever shrink as bugs are fixed.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runConformance } from '../conformance/run.ts';
import { startTestTether, tempDir } from './helpers.ts';
import { startMosquittoHost } from './fixtures/mosquitto-host.ts';
import type { Report } from '../conformance/core/report.ts';
import { MOSQUITTO_DEVIATIONS, REFERENCE_HOST_BUGS } from './fixtures/reference-bugs.ts';

function failedIds(report: Report): string[] {
  return report.requirements
    .filter((r) => r.status === 'fail')
    .map((r) => r.id)
    .sort();
}

function expectExactly(t: Test, report: Report, known: Record<string, string>, tap: string[]): void {
  const failed = failedIds(report);
  const unexpected = failed.filter((id) => !(id in known));
  const fixed = Object.keys(known).filter((id) => !failed.includes(id));
  t.same(
    unexpected,
    [],
    `no MUST fails beyond the known list${unexpected.length ? `:\n${tap.filter((l) => !l.startsWith('ok')).join('\n')}` : ''}`,
  );
  t.same(fixed, [], 'every known failure still fails (remove fixed ones from the list)');
}

t.test('host profile runs', async (t) => {
  // A lower rate limit than the default, so the suite can outpace the bucket on a busy CI machine.
  const tether = await startTestTether(t, { limits: { commandsPerSecond: 200 } });
  const retained = await startTestTether(t, { limits: { retentionEvents: 40 } });
  const deployment = await startMosquittoHost(t, { maxSessionsPerPrincipal: 20, commandsPerSecond: 200 });
  const dir = tempDir(t, 'conformance-report-');
  const run = async (opts: Parameters<typeof runConformance>[0]) => {
    const tap: string[] = [];
    return { report: await runConformance({ ...opts, out: (l) => tap.push(l) }), tap };
  };
  const [aedes, retention, mosquitto] = await Promise.all([
    run({ profiles: ['host', 'broker'], broker: tether.mqttUrl, reportDir: dir }),
    run({
      profiles: ['host'],
      broker: retained.mqttUrl,
      only: ['host.history.expired-cursor', 'host.idempotency.remembered', 'host.search.retention'],
    }),
    run({
      profiles: ['host', 'broker', 'device'],
      broker: deployment.url,
      users: deployment.users,
      spare: deployment.spare,
      only: ['host.*', 'broker.*', 'device.host.*'],
    }),
  ]);

  t.test('the reference host on its embedded Aedes broker passes the host and broker profiles', async (t) => {
    const { report, tap } = aedes;
    expectExactly(t, report, REFERENCE_HOST_BUGS, tap);
    t.same(
      report.requirements.filter((r) => r.status === 'warn').map((r) => r.id),
      [],
      'and meets every SHOULD it is checked for',
    );
    t.equal(
      report.checks.find((c) => c.id === 'host.live.embedded')?.status,
      'pass',
      'the host attached in the broker process says so and its client id is reserved',
    );
    t.equal(report.checks.find((c) => c.id === 'host.live.will')?.status, 'skip', 'so its Will is not checked');
    t.ok(tap[0] === 'TAP version 14' && tap.some((l) => /^1\.\.\d+$/.test(l)), 'TAP output with a plan');
    const json = JSON.parse(readFileSync(join(dir, 'conformance-report.json'), 'utf8')) as Report;
    t.equal(json.requirements.find((r) => r.id === 'HOST-SEQ-1')?.status, 'pass', 'the JSON report has a verdict per requirement ID');
    t.ok(json.requirements.find((r) => r.id === 'HOST-SEQ-1')?.evidence.length, 'with evidence');
    const md = readFileSync(join(dir, 'conformance-report.md'), 'utf8');
    t.match(md, /\| HOST-SEQ-1 \| MUST \| pass \|/, 'the Markdown report has a row per requirement ID');
    t.match(md, /\| HOST-DURABLE-3 \| MUST \| excluded \| +\| Needs an abrupt termination/, 'exclusions are listed with their reason');
  });

  t.test('with retention on, expired cursors get a reset and command ids outlive their events', async (t) => {
    const { report, tap } = retention;
    t.same(failedIds(report), [], tap.join('\n'));
    for (const id of ['HIST-RESET-1', 'HIST-RESET-2', 'HOST-RETAIN-1', 'HOST-RETAIN-2', 'HOST-RETAIN-3', 'HOST-RETAIN-4', 'HOST-IDEM-3'])
      t.equal(report.requirements.find((r) => r.id === id)?.status, 'pass', `${id} passes`);
  });

  t.test(
    'the reference host on Mosquitto passes the host and broker profiles and its device outputs reach mosquitto_sub, but for what Mosquitto hides',
    async (t) => {
      const { report, tap } = mosquitto;
      expectExactly(t, report, { ...REFERENCE_HOST_BUGS, ...MOSQUITTO_DEVIATIONS }, tap);
      t.equal(
        report.checks.find((c) => c.id === 'device.host.wake-up')?.status,
        'pass',
        'a mosquitto_sub device that wakes later gets the retained result through Mosquitto',
      );
      t.equal(report.checks.find((c) => c.id === 'host.live.embedded')?.status, 'skip', 'a host connected over MQTT is not embedded');
    },
  );
});
