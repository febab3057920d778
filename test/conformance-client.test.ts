/**
 * The client profile: the Python adapter (paho-mqtt) passes it whole; the TypeScript fixture passes the
 * client-only checks; the fixture with one deliberate fault fails the check of that rule, naming it.
 */
import t from 'tap';
import { runConformance } from '../conformance/run.ts';
import { PYTHON_ADAPTER, tsAdapter } from './fixtures/adapters.ts';

const failing = (r: Awaited<ReturnType<typeof runConformance>>) => r.requirements.filter((x) => x.status === 'fail').map((x) => x.id);

t.test('the Python adapter on paho-mqtt passes the client profile', async (t) => {
  const tap: string[] = [];
  const report = await runConformance({ profiles: ['client'], spawn: PYTHON_ADAPTER, out: (l) => tap.push(l) });
  t.same(failing(report), [], tap.filter((l) => !l.startsWith('ok')).join('\n'));
  t.equal(report.summary.checks.warn, 0, 'and meets every SHOULD it is checked for');
  t.same(report.checks.filter((c) => c.status === 'skip').map((c) => c.id), ['client.presence'], 'only the optional presence checks are skipped (it does not advertise presence)');
});

t.test('the TypeScript fixture passes the client-only checks', async (t) => {
  const spawn = await tsAdapter(t);
  const tap: string[] = [];
  const report = await runConformance({ profiles: ['client'], spawn, only: ['client.input.*', 'client.content.*', 'client.presence'], out: (l) => tap.push(l) });
  t.same(failing(report), [], tap.filter((l) => !l.startsWith('ok')).join('\n'));
});

t.test('a client with one fault fails the check of its rule', async (t) => {
  const spawn = await tsAdapter(t);
  const cases: [string, string, string][] = [
    ['no-resend', 'client.resume.reconnect', 'CLIENT-RETRY-2'],
    ['deliver-duplicates', 'client.delivery.duplicates', 'CLIENT-DELIVER-1'],
  ];
  const runs = await Promise.all(
    cases.map(async ([fault, check]) => {
      const tap: string[] = [];
      const report = await runConformance({ profiles: ['client'], spawn: `TETHER_FIXTURE_FAULT=${fault} ${spawn}`, only: [check], out: (l) => tap.push(l) });
      return { report, tap };
    }),
  );
  cases.forEach(([fault, , id], i) => {
    const { report, tap } = runs[i];
    t.equal(report.passed, false, `${fault}: the run fails`);
    t.ok(failing(report).includes(id), `${fault}: ${id} is reported as failed`);
    t.ok(tap.some((l) => l.includes(`- id: ${id}`)), `${fault}: the TAP diagnostics name ${id}`);
  });
});

t.test('without --spawn every check fails as not testable, never skipped', async (t) => {
  const report = await runConformance({ profiles: ['client'], only: ['client.connection.mqtt'] });
  t.equal(report.checks[0].status, 'fail');
  t.match(report.checks[0].reason, /^Not testable: no client under test/);
});
