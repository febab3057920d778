import t from 'tap';
import { parseTopic, topics } from '../protocol/topics.ts';

t.test('topic builders refuse ids that could inject a topic level', async (t) => {
  for (const bad of ['a/b', '+', '#', '$SYS', '', 'x'.repeat(65), '.hidden', 'sp ace']) {
    t.throws(() => topics.events(bad), /TOPIC-ID-1/, `rejects ${JSON.stringify(bad)}`);
  }
  t.equal(topics.submit('s-1', 'alice'), 'tether/v1/sessions/s-1/submit/alice');
});

t.test('parseTopic round-trips every topic kind and rejects malformed ones', async (t) => {
  t.same(parseTopic(topics.submit('s1', 'bob')), { kind: 'submit', sid: 's1', principal: 'bob' });
  t.same(parseTopic(topics.replies('bob', 'phone')), { kind: 'replies', principal: 'bob', clientId: 'phone' });
  t.same(parseTopic(topics.presence('s1', 'bob', 'd1')), { kind: 'presence', sid: 's1', principal: 'bob', device: 'd1' });
  t.same(parseTopic(topics.sessionIndex('bob', 's1')), { kind: 'sessionIndex', principal: 'bob', sid: 's1' });
  t.equal(parseTopic('tether/v1/sessions/s1/submit/bob/extra'), undefined);
  t.equal(parseTopic('tether/v2/sessions/s1/events'), undefined);
  t.equal(parseTopic('tether/v1/sessions/$x/events'), undefined);
});
