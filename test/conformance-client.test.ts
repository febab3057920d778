/**
 * The client profile: the Python adapter (paho-mqtt) passes it whole; the TypeScript fixture passes the
 * client-only checks, and with one deliberate fault fails the check of that rule, naming it. The full
 * run goes first, alone; the small ones side by side. (The client library: conformance-client-library.)
 */
import t from 'tap';
import { runConformance } from '../conformance/run.ts';
import { PYTHON_ADAPTER, tsAdapter } from './fixtures/adapters.ts';

type Report = Awaited<ReturnType<typeof runConformance>>;
const failing = (r: Report) => r.requirements.filter((x) => x.status === 'fail').map((x) => x.id);
const run = async (opts: Parameters<typeof runConformance>[0]) => {
  const tap: string[] = [];
  const report = await runConformance({ ...opts, out: (l) => tap.push(l) });
  return { report, tap, problems: tap.filter((l) => !l.startsWith('ok')).join('\n') };
};

const FAULTS: [string, string, string][] = [
  ['no-resend', 'client.resume.reconnect', 'CLIENT-RETRY-2'],
  ['deliver-duplicates', 'client.delivery.duplicates', 'CLIENT-DELIVER-1'],
];

t.test('client profile runs', async (t) => {
  const ts = await tsAdapter(t);
  const python = await run({ profiles: ['client'], spawn: PYTHON_ADAPTER });
  const [tsOnly, none, ...faulty] = await Promise.all([
    run({ profiles: ['client'], spawn: ts, only: ['client.input.*', 'client.content.*', 'client.presence'] }),
    run({ profiles: ['client'], only: ['client.connection.mqtt'] }),
    ...FAULTS.map(([fault, check]) => run({ profiles: ['client'], spawn: `TETHER_FIXTURE_FAULT=${fault} ${ts}`, only: [check] })),
  ]);

  t.test('the Python adapter on paho-mqtt passes the client profile', async (t) => {
    t.same(failing(python.report), [], python.problems);
    t.equal(python.report.summary.checks.warn, 0, `and meets every SHOULD it is checked for\n${python.problems}`);
    t.same(
      python.report.checks.filter((c) => c.status === 'skip').map((c) => c.id),
      ['client.presence'],
      'only the optional presence checks are skipped (it does not advertise presence)',
    );
  });

  t.test('the TypeScript fixture passes the client-only checks', async (t) => {
    t.same(failing(tsOnly.report), [], tsOnly.problems);
  });

  t.test('a client with one fault fails the check of its rule', async (t) => {
    FAULTS.forEach(([fault, , id], i) => {
      const { report, tap } = faulty[i];
      t.equal(report.passed, false, `${fault}: the run fails`);
      t.ok(failing(report).includes(id), `${fault}: ${id} is reported as failed`);
      t.ok(
        tap.some((l) => l.includes(`- id: ${id}`)),
        `${fault}: the TAP diagnostics name ${id}`,
      );
    });
  });

  t.test('without --spawn every check fails as not testable, never skipped', async (t) => {
    t.equal(none.report.checks[0].status, 'fail');
    t.match(none.report.checks[0].reason, /^Not testable: no client under test/);
  });
});
