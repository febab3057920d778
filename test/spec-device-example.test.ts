import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSession, peer, startTestTether, tempDir } from './helpers.ts';
import { prefixes } from '../protocol/topics.ts';

const doc = readFileSync(join(import.meta.dirname, '..', 'spec', 'v1', 'devices.md'), 'utf8');
const example = /A minimal device in Python[\s\S]*?```python\n([\s\S]*?)```/.exec(doc)?.[1];

t.test("devices.md's Python device runs on Debian's paho-mqtt and shows a Result apart from its notification", async (t) => {
  t.ok(example, 'the spec has the example');
  const file = join(tempDir(t), 'device.py');
  writeFileSync(file, example!);
  const tether = await startTestTether(t);
  const alice = await peer(t, tether.mqttUrl, 'alice');
  const bot = await peer(t, tether.mqttUrl, 'bot');
  const sid = await createSession(alice, [
    { principal: 'bob', role: 'member' },
    { principal: 'bot', role: 'agent' },
  ]);
  const port = new URL(tether.mqttUrl).port;
  // The device subscribes when it connects: its SUBSCRIBE of the results topic is the signal.
  const subscribed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 15_000);
    tether.broker.on('subscribe', (subs, client) => {
      if (client?.id === 'bob.watch' && subs.some((s) => s.topic.startsWith(prefixes.results()))) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  const py = spawn('/usr/bin/python3', [file], {
    env: { ...process.env, TETHER_USER: 'bob', TETHER_SID: sid, TETHER_TLS: '0', TETHER_HOST: '127.0.0.1', TETHER_PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((r) => py.once('exit', r));
  t.teardown(async () => {
    if (py.exitCode === null) {
      py.kill('SIGKILL');
      await exited;
    }
  });
  let out = '';
  let err = '';
  py.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const lines = (n: number) =>
    new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the device printed ${JSON.stringify(out)}; stderr ${err}`)), 15_000);
      const check = () => {
        const l = out.trim().split('\n').filter(Boolean);
        if (l.length >= n) {
          clearTimeout(timer);
          resolve(l);
        }
      };
      py.stdout.on('data', (c: Buffer) => ((out += c.toString()), check()));
      void exited.then(() => reject(new Error(`the device exited: ${err}`)));
    });
  t.ok(await subscribed, 'the device connected and subscribed');
  await bot.command(sid, 'run.start', { runId: 'r1' });
  await bot.command(sid, 'run.finish', { runId: 'r1', status: 'completed', summary: 'the nightly report is ready' });
  const got = await lines(2);
  t.ok(
    got.some((l) => l.startsWith(`result ${sid} `)),
    'the result notification is shown',
  );
  t.ok(
    got.some((l) => l.startsWith(`Result ${sid} `) && l.endsWith('the nightly report is ready')),
    'and the retained Result with the same seq too, not taken for a repeat',
  );
});
