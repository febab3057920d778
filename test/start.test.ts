import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TetherClient } from '../clients/lib/node.ts';
import type { AgentState } from '../schemas/src/index.ts';
import { tempDir } from './helpers.ts';
import { watch } from './fixtures/agent-scene.ts';

t.test('`tether start` brings up broker, host and the reference agent on its demo model, with no key', async (t) => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '..', 'bin', 'tether.ts'),
      'start',
      '--port',
      '0',
      '--http-port',
      '0',
      '--data',
      tempDir(t),
      '--demo-tokens-per-second',
      '0',
    ],
    {
      env: { ...process.env, TETHER_LOG_LEVEL: 'warn', TETHER_LLM_API_KEY: '', OPENAI_API_KEY: '', TETHER_LLM_BASE_URL: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not up within 30 s: ${err}`)), 30_000);
    child.stderr!.on('data', () => {
      const m = /MQTT (\S+) /.exec(err);
      if (m && /agent assistant online/.test(err)) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const alice = await TetherClient.connect({ url, principal: 'alice' });
  t.teardown(() => alice.close());
  const board = await alice.watchAgents();
  const card = await new Promise<AgentState>((resolve) => {
    const now = board.get('assistant');
    if (now) return resolve(now);
    board.on('change', (k, v) => k === 'assistant' && v && resolve(v));
  });
  t.equal(card.status, 'online', 'a person sees the agent online');
  // The same start serves the web app on the broker's HTTP server.
  const web = /web app (\S+)/.exec(err)?.[1];
  t.ok(web, 'it prints where the web app is');
  const page = await fetch(web!);
  t.equal(page.status, 200, 'the page is served');
  t.match(await page.text(), /app\.js/, 'the page loads the app bundle');
  const bundle = await fetch(new URL('app.js', web));
  t.equal(bundle.status, 200, 'the bundle is served');
  t.ok((await bundle.text()).length > 10_000, 'and is the bundled app');
  t.match(card.card.name, /demo model/, 'labelled as the demo model');
  const sid = await alice.createSession({ title: 'hello', participants: [{ principal: 'assistant', role: 'agent' }] });
  const s = await watch(alice, sid);
  await s.session.send('Hello there');
  const done = await s.next((e) => e.type === 'message.completed', 20_000);
  t.match(JSON.stringify(done.data.parts), /\[demo model\]/, 'the demo model answers, and says so in its message');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'a clean shutdown');
});
