import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  ID_RE,
  LEVELS,
  PROFILES,
  REQUIREMENTS_FILE,
  ROOT,
  parseSpec,
  readSpec,
  renderRequirements,
  type SpecFile,
} from '../scripts/spec.ts';

const parsed = parseSpec(readSpec());
const committed = JSON.parse(readFileSync(join(ROOT, REQUIREMENTS_FILE), 'utf8')) as {
  version: string;
  requirements: { id: string; level: string; profiles: string[]; testable: boolean; reason?: string }[];
};

t.test('the spec follows the requirement conventions', async (t) => {
  t.same(parsed.errors, [], 'scripts/spec.ts reports no problem in spec/v1');
});

t.test('requirements.json is in sync with the spec Markdown', async (t) => {
  t.equal(
    readFileSync(join(ROOT, REQUIREMENTS_FILE), 'utf8'),
    renderRequirements(parsed.requirements),
    'run `npm run spec` when this fails',
  );
});

t.test('the spec has at least 100 well-formed requirements covering every profile', async (t) => {
  const reqs = committed.requirements;
  t.ok(reqs.length >= 100, `${reqs.length} requirements`);
  t.equal(new Set(reqs.map((r) => r.id)).size, reqs.length, 'IDs are unique');
  for (const r of reqs) {
    if (!ID_RE.test(r.id)) t.fail(`malformed ID ${r.id}`);
    if (!(LEVELS as readonly string[]).includes(r.level)) t.fail(`${r.id} has level ${r.level}`);
    if (!r.profiles.length || r.profiles.some((p) => !(PROFILES as readonly string[]).includes(p)))
      t.fail(`${r.id} has profiles ${r.profiles}`);
    if (!r.testable && !r.reason) t.fail(`${r.id} is not testable without a reason`);
  }
  for (const profile of PROFILES) {
    t.ok(
      reqs.some((r) => r.profiles.includes(profile)),
      `some requirement names the ${profile} profile`,
    );
  }
});

t.test('the IDs already cited by the code are defined', async (t) => {
  const ids = new Set(committed.requirements.map((r) => r.id));
  for (const id of ['TOPIC-ID-1', 'ID-ALPHABET-1', 'HOST-SNAPSHOT-3']) t.ok(ids.has(id), id);
});

const good = [
  '# Sample',
  '## Sequencing',
  '- **[HOST-SEQ-1]** (host) The host MUST assign seqs.',
  '- **[CLIENT-GAP-1]** (agent, client) A client SHOULD NOT wait long. _(not testable: timing is local)_',
  '- **[HOST-SEQ-2]** (host) The host MUST NOT skip',
  '  a seq on a continuation line.',
  'Prose may say "must" and MAY freely, and cite [HOST-SEQ-1].',
].join('\n');

function sample(text: string, retired = '| id | retired in | reason |\n|---|---|---|\n'): SpecFile[] {
  return [
    { file: 'spec/v1/sample.md', text },
    { file: 'spec/v1/retired.md', text: retired },
  ];
}

t.test('the parser extracts a good sample', async (t) => {
  const r = parseSpec(sample(good));
  t.same(r.errors, []);
  t.same(
    r.requirements.map((q) => [q.id, q.level, q.profiles, q.section, q.testable, q.reason]),
    [
      ['HOST-SEQ-1', 'MUST', ['host'], 'Sequencing', true, undefined],
      ['CLIENT-GAP-1', 'SHOULD NOT', ['agent', 'client'], 'Sequencing', false, 'timing is local'],
      ['HOST-SEQ-2', 'MUST NOT', ['host'], 'Sequencing', true, undefined],
    ],
  );
  t.equal(r.requirements[1].text, 'A client SHOULD NOT wait long.', 'the not-testable marker is not part of the text');
  t.equal(r.requirements[2].text, 'The host MUST NOT skip a seq on a continuation line.');
  t.equal(r.requirements[0].file, 'spec/v1/sample.md');
});

t.test('the parser rejects each kind of bad sample, naming file and line', async (t) => {
  const cases: [string, string, RegExp, string?][] = [
    ['keyword outside an item', good + '\nThe client MUST resume.', /sample\.md:8: uppercase normative keyword "MUST" outside/],
    ['keyword in a code block', good + '\n```\nhosts SHOULD batch\n```', /sample\.md:9: uppercase normative keyword inside a code block/],
    [
      'repeated ID',
      good + '\n- **[HOST-SEQ-1]** (host) The host MUST do it again.',
      /sample\.md:8: requirement ID HOST-SEQ-1 repeats \(first at spec\/v1\/sample\.md:3\)/,
    ],
    [
      'two keywords',
      '- **[HOST-SEQ-9]** (host) The host MUST append and SHOULD publish.',
      /sample\.md:1: HOST-SEQ-9 has 2 normative keywords/,
    ],
    ['no keyword', '- **[HOST-SEQ-9]** (host) The host appends.', /sample\.md:1: HOST-SEQ-9 has 0 normative keywords/],
    ['SHALL instead of MUST', '- **[HOST-SEQ-9]** (host) The host SHALL append.', /HOST-SEQ-9 uses "SHALL"/],
    [
      'unknown profile',
      '- **[HOST-SEQ-9]** (host, server) The host MUST append.',
      /sample\.md:1: unknown profile\(s\) "server" in HOST-SEQ-9/,
    ],
    ['malformed ID', '- **[HOST-9]** (host) The host MUST append.', /sample\.md:1: malformed requirement ID "HOST-9"/],
    ['malformed item', '- **[HOST-SEQ-9]** host: The host MUST append.', /sample\.md:1: malformed requirement item/],
    ['reference to an unknown ID', good + '\nSee [HOST-SEQ-77].', /sample\.md:8: reference to unknown requirement ID HOST-SEQ-77/],
    ['unknown example schema', '```json schema=Nope\n{}\n```', /sample\.md:1: unknown schema "Nope"/],
    [
      'retired ID in use',
      good,
      /sample\.md:3: requirement ID HOST-SEQ-1 is retired/,
      '| id | retired in | reason |\n|---|---|---|\n| HOST-SEQ-1 | 1.1 | merged |\n',
    ],
  ];
  for (const [name, text, expected, retired] of cases) {
    const r = parseSpec(sample(text, retired));
    t.ok(
      r.errors.some((e) => expected.test(e)),
      `${name}: ${r.errors.join(' | ') || 'no error'}`,
    );
  }
});
