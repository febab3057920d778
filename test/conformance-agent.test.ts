/**
 * The agent profile against the TypeScript fixture agent, and the device profile with its reference
 * device (mosquitto_sub) against the reference host.
 */
import t from 'tap';
import { runConformance } from '../conformance/run.ts';
import { tsAdapter } from './fixtures/adapters.ts';

type Report = Awaited<ReturnType<typeof runConformance>>;
const failing = (r: Report) => r.requirements.filter((x) => x.status === 'fail').map((x) => x.id);
const run = async (opts: Parameters<typeof runConformance>[0]) => {
  const tap: string[] = [];
  const report = await runConformance({ ...opts, out: (l) => tap.push(l) });
  return { report, tap, problems: tap.filter((l) => !l.startsWith('ok')).join('\n') };
};

/**
 * The checks shared with the client profile run in full against the Python client (conformance-client);
 * here the fixture agent runs every agent-only check and a sample of the shared ones, to keep CI short.
 */
const AGENT_SELECTION = [
  'agent.live.*',
  'agent.writer.*',
  'agent.cancel',
  'agent.steer',
  'agent.input.*',
  'agent.inbox',
  'agent.connection.mqtt',
  'agent.connection.wire',
  'agent.resume.join',
  'agent.resume.reconnect',
  'agent.delivery.gap',
  'agent.delivery.duplicates',
  'agent.reconnect.backoff',
];

t.test('agent and device profile runs', async (t) => {
  const spawn = await tsAdapter(t);
  const agent = await run({ profiles: ['agent'], spawn, only: AGENT_SELECTION });
  const device = await run({ profiles: ['device'] });

  t.test('the TypeScript fixture agent passes the agent-only checks and a sample of the shared ones', async (t) => {
    t.same(failing(agent.report), [], agent.problems);
    t.equal(agent.report.summary.checks.warn, 0, agent.problems);
  });

  t.test("mosquitto_sub as a device: the reference host's device outputs and the reference device pass the device profile", async (t) => {
    t.same(failing(device.report), [], device.problems);
    t.ok(
      device.report.checks.some((c) => c.id === 'device.host.wake-up' && c.status === 'pass'),
      'a device that wakes later gets the retained result',
    );
  });
});
