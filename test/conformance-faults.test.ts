/**
 * Proof that the suite can fail: each deliberately faulty host (test/fixtures/faulty-hosts.ts, one
 * fault each) must fail the checks of its rule, with the requirement ID named in the TAP output and
 * in the report; the reference host passes the same checks; the CLI exits 1 on a MUST failure.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runConformance } from '../conformance/run.ts';
import { main } from '../conformance/cli.ts';
import { FAULTS, startFaultyHost } from './fixtures/faulty-hosts.ts';
import { startTestTether, tempDir } from './helpers.ts';
import { REFERENCE_HOST_BUGS } from './fixtures/reference-bugs.ts';

const run = promisify(execFile);
const tether = join(import.meta.dirname, '..', 'bin', 'tether.ts');

t.test('each faulty host fails the checks of its rule, naming the requirement ID', async (t) => {
  // The fixtures are independent: run them side by side.
  const outcomes = await Promise.all(
    Object.entries(FAULTS).map(async ([name, fault]) => {
      const host = await startFaultyHost(name, tempDir(t, `fault-${name}-`));
      try {
        const tap: string[] = [];
        const report = await runConformance({ profiles: ['host'], broker: host.mqttUrl, only: fault.only, out: (l) => tap.push(l) });
        return { name, fault, report, tap };
      } finally {
        await host.close();
      }
    }),
  );
  for (const { name, fault, report, tap } of outcomes) {
    t.test(`${name}: ${fault.description}`, async (t) => {
      t.equal(report.passed, false, 'the run fails');
      const failed = report.requirements.filter((r) => r.status === 'fail').map((r) => r.id);
      for (const id of fault.fails) {
        t.ok(failed.includes(id), `${id} is reported as failed`);
        t.ok(
          tap.some((l) => l.includes(`- id: ${id}`)),
          `the TAP diagnostics name ${id}`,
        );
        const evidence = report.requirements.find((r) => r.id === id)?.evidence.filter((e) => !e.ok) ?? [];
        t.ok(evidence.length > 0 && evidence[0].expectation, `the report carries evidence for ${id}`);
      }
    });
  }
});

t.test('the reference host passes the checks that catch the faults', async (t) => {
  const ref = await startTestTether(t);
  const only = [...new Set(Object.values(FAULTS).flatMap((f) => f.only))];
  const tap: string[] = [];
  const report = await runConformance({ profiles: ['host'], broker: ref.mqttUrl, only, out: (l) => tap.push(l) });
  const failed = report.requirements.filter((r) => r.status === 'fail' && !(r.id in REFERENCE_HOST_BUGS)).map((r) => r.id);
  t.same(failed, [], tap.filter((l) => !l.startsWith('ok')).join('\n'));
  for (const id of Object.values(FAULTS).flatMap((f) => f.fails))
    t.equal(report.requirements.find((r) => r.id === id)?.status, 'pass', `${id} passes on the reference`);
});

t.test('`tether conformance` prints TAP and exits 1 when a MUST fails, 0 otherwise', async (t) => {
  const faulty = await startFaultyHost('no-dedupe', tempDir(t, 'fault-cli-'));
  t.teardown(() => faulty.close());
  const ref = await startTestTether(t);
  const args = (url: string) => ['--profile', 'host', '--broker', url, '--only', 'host.idempotency.duplicate'];
  // The real command line, once: a MUST failure is exit code 1.
  const bad = await run(process.execPath, ['--import', 'tsx', tether, 'conformance', ...args(faulty.mqttUrl)]).then(
    () => ({ code: 0, stdout: '' }),
    (err: { code: number; stdout: string }) => err,
  );
  t.equal(bad.code, 1, 'exit code 1 against the faulty host');
  t.match(bad.stdout, /^TAP version 14/);
  t.match(bad.stdout, /not ok 1 - host\.idempotency\.duplicate/);
  t.match(bad.stdout, /- id: HOST-IDEM-1/);
  // The same entry point in-process (what bin/tether.ts calls) for the passing case and --list.
  let out = '';
  const code = await main(args(ref.mqttUrl), (s) => (out += s));
  t.equal(code, 0, 'exit code 0 against the reference');
  t.match(out, /^ok 1 - host\.idempotency\.duplicate/m);
  let list = '';
  t.equal(await main(['--list', '--profile', 'host'], (s) => (list += s)), 0);
  t.match(list, /^host\.seq\.contiguous\thost\tHOST-SEQ-1,/m, '--list prints check id, profile and covered IDs');
  t.equal(await main(['--profile', 'nope'], () => {}), 2, 'bad usage is exit code 2');
});
