/**
 * The agent profile against the TypeScript fixture agent, and the device profile with its reference
 * device (mosquitto_sub) against the reference host.
 */
import t from 'tap';
import { runConformance } from '../conformance/run.ts';
import { tsAdapter } from './fixtures/adapters.ts';

const failing = (r: Awaited<ReturnType<typeof runConformance>>) => r.requirements.filter((x) => x.status === 'fail').map((x) => x.id);

t.test('the TypeScript fixture agent passes the agent profile', async (t) => {
  const spawn = await tsAdapter(t);
  const tap: string[] = [];
  const report = await runConformance({ profiles: ['agent'], spawn, out: (l) => tap.push(l) });
  t.same(failing(report), [], tap.filter((l) => !l.startsWith('ok')).join('\n'));
  t.equal(report.summary.checks.warn, 0, tap.filter((l) => l.includes('# TODO')).join('\n'));
});

t.test('mosquitto_sub as a device: the reference host\'s device outputs and the reference device pass the device profile', async (t) => {
  const tap: string[] = [];
  const report = await runConformance({ profiles: ['device'], out: (l) => tap.push(l) });
  t.same(failing(report), [], tap.filter((l) => !l.startsWith('ok')).join('\n'));
  t.ok(report.checks.some((c) => c.id === 'device.host.wake-up' && c.status === 'pass'), 'a device that wakes later gets the retained result');
});
