import t from 'tap';
import { runCli } from './fixtures/cli-process.ts';
import { client } from './fixtures/cli-scene.ts';
import { startTestTether } from './helpers.ts';

t.test('tether new creates a session with the given participants and prints its sid', async (t) => {
  const tether = await startTestTether(t);
  const url = tether.mqttUrl;
  const alice = await client(t, url, 'alice');
  const [plain, json, badRole] = await Promise.all([
    runCli(t, url, 'alice', ['new', '--title', 'Incident 4711', '--with', 'helper-bot:agent,bob']),
    runCli(t, url, 'alice', ['new', '--json', '--with', 'carol:approver']),
    runCli(t, url, 'alice', ['new', '--with', 'bob:boss']),
  ]);

  t.equal(plain.code, 0);
  const sid = plain.stdout.trim();
  t.match(sid, /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'stdout is the sid alone');
  const created = (await alice.history(sid, { after: 0, limit: 1 })).events[0];
  t.match(created, { type: 'session.created', sender: 'alice', data: { title: 'Incident 4711' } });
  t.same(
    created.data.participants,
    [
      { principal: 'alice', role: 'owner' },
      { principal: 'helper-bot', role: 'agent' },
      { principal: 'bob', role: 'member' },
    ],
    'a principal without a role is a member',
  );

  t.equal(json.code, 0);
  const doc = JSON.parse(json.stdout);
  t.match(doc, {
    sid: String,
    participants: [
      { principal: 'alice', role: 'owner' },
      { principal: 'carol', role: 'approver' },
    ],
  });
  t.equal((await alice.history(doc.sid, { after: 0, limit: 1 })).events[0].type, 'session.created');

  t.equal(badRole.code, 2, 'an unknown role is a usage error');
  t.match(badRole.stderr, /ROLE one of owner, member, viewer, approver, agent/);
});
