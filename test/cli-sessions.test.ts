import t from 'tap';
import { runCli } from './fixtures/cli-process.ts';
import { client } from './fixtures/cli-scene.ts';
import { startTestTether } from './helpers.ts';

t.test('tether sessions lists sid, title, status, role, creator and update, as text and as JSON', async (t) => {
  const tether = await startTestTether(t);
  const url = tether.mqttUrl;
  const alice = await client(t, url, 'alice');
  const bob = await client(t, url, 'bob');
  const open = await alice.createSession({ title: 'Incident 4711 review' });
  const closed = await alice.createSession({ title: 'old one' });
  await (await alice.join(closed)).closeSession('done');
  const shared = await bob.createSession({ title: "bob's question", participants: [{ principal: 'alice', role: 'approver' }] });
  await bob.createSession({ title: 'not for alice' });

  const [text, json, onlyClosed, bad] = await Promise.all([
    runCli(t, url, 'alice', ['sessions']),
    runCli(t, url, 'alice', ['sessions', '--json']),
    runCli(t, url, 'alice', ['sessions', '--status', 'closed', '--json']),
    runCli(t, url, 'alice', ['sessions', '--status', 'archived']),
  ]);

  t.equal(text.code, 0);
  const lines = text.stdout.trimEnd().split('\n');
  t.match(lines[0], /^SID +TITLE +STATUS +ROLE +CREATED BY +UPDATED$/, 'a header');
  t.equal(lines.length, 4, 'a row per session of alice');
  t.match(text.stdout, new RegExp(`${open} +Incident 4711 review +open +owner +alice +\\S`));
  t.match(text.stdout, new RegExp(`${closed} +old one +closed +owner +alice`));
  t.match(text.stdout, new RegExp(`${shared} +bob's question +open +approver +bob`));
  t.notMatch(text.stdout, /not for alice/);
  t.notOk(text.stdout.includes('\u001b['), 'no colours on a pipe');

  t.equal(json.code, 0);
  const doc = JSON.parse(json.stdout) as {
    sessions: { sid: string; role: string; status: string; createdBy: string; updatedAt: string; title?: string }[];
  };
  t.same(doc.sessions.map((s) => s.sid).sort(), [open, closed, shared].sort(), 'one JSON document with the sessions');
  t.match(
    doc.sessions.find((s) => s.sid === shared),
    { role: 'approver', status: 'open', createdBy: 'bob', title: "bob's question" },
  );
  const times = doc.sessions.map((s) => s.updatedAt);
  t.same(times, [...times].sort().reverse(), 'most recently updated first');

  t.same(
    JSON.parse(onlyClosed.stdout).sessions.map((s: { sid: string }) => s.sid),
    [closed],
    '--status closed',
  );
  t.equal(bad.code, 2, 'an unknown --status is a usage error');
});
