import t from 'tap';
import { startMosquittoHost } from './fixtures/mosquitto-host.ts';
import { runConformance } from '../conformance/run.ts';
t.test('mosq', async (t) => {
  const d = await startMosquittoHost(t, { maxSessionsPerPrincipal: 20 });
  const t0 = Date.now();
  const lines: string[] = [];
  const report = await runConformance({ profiles: ['host'], broker: d.url, users: d.users, spare: d.spare, out: (l) => lines.push(l), only: process.env.ONLY?.split(',') });
  console.log(lines.filter((l) => !l.startsWith('ok')).join('\n'));
  console.log('took', Date.now() - t0);
  console.log(report.checks.map((c) => `${c.durationMs}\t${c.id}`).sort((a, b) => parseInt(b) - parseInt(a)).slice(0, 10).join('\n'));
});
