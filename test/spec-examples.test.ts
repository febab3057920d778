import t from 'tap';
import { check } from '../protocol/validate.ts';
import type { SchemaName } from '../schemas/src/index.ts';
import { exampleInvariants, parseSpec, readSpec } from '../scripts/spec.ts';

const { examples } = parseSpec(readSpec());

t.test('the spec has validated examples of every payload a conforming party publishes', async (t) => {
  const names = new Set(examples.map((e) => e.schema));
  for (const name of [
    'Command',
    'Request',
    'Reply',
    'Event',
    'EventBatch',
    'HostState',
    'SessionState',
    'SessionIndexEntry',
    'Presence',
    'AgentState',
    'InboxDoorbell',
    'Notification',
    'Result',
  ]) {
    t.ok(names.has(name), `at least one \`json schema=${name}\` example`);
  }
});

t.test('every `json schema=` example in the spec validates against its schema', async (t) => {
  for (const ex of examples) {
    const where = `${ex.file}:${ex.line} (${ex.schema})`;
    let value: unknown;
    try {
      value = JSON.parse(ex.source);
    } catch (e) {
      t.fail(`${where} is not valid JSON: ${(e as Error).message}`);
      continue;
    }
    const r = check(ex.schema as SchemaName, value);
    t.ok(r.ok, r.ok ? where : `${where}: ${r.message}`);
    t.same(exampleInvariants(ex.schema, value), [], `${where} keeps sizes and seq order`);
  }
});

t.test('the example checks can fail', async (t) => {
  t.notOk(
    check('Command', { v: 1, id: 'c1', type: 'message.delta', data: { msgId: 'm', i: -1, text: '' } }).ok,
    'a negative chunk index is refused',
  );
  const batch = {
    v: 1,
    sid: 's1',
    events: [5, 7].map((seq) => ({
      v: 1,
      sid: 's1',
      seq,
      type: 'message.delta',
      time: '2026-11-27T10:00:00.000Z',
      sender: 'a',
      data: { msgId: 'm', i: seq, text: 'x' },
    })),
  };
  t.ok(check('EventBatch', batch).ok, 'the schema alone cannot see a seq gap');
  t.match(exampleInvariants('EventBatch', batch), [/seq 7 does not follow 5/]);
  const note = { v: 1, k: 'input', sid: 's'.repeat(64), seq: 1, t: 'é'.repeat(120) };
  t.ok(check('Notification', note).ok);
  t.match(exampleInvariants('Notification', note), [/at most 256 allowed/]);
});
