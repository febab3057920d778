/**
 * The coverage gate: every testable MUST/SHOULD of spec/v1/requirements.json has a conformance check
 * or a written exclusion with a reason, and no check or exclusion cites an ID the spec does not have.
 */
import t from 'tap';
import { ALL_CHECKS } from '../conformance/run.ts';
import { loadExclusions, loadRequirements } from '../conformance/core/requirements.ts';
import { SUITE_PROFILES } from '../conformance/core/check.ts';

const requirements = loadRequirements();
const exclusions = loadExclusions();
const checks = SUITE_PROFILES.flatMap((p) => ALL_CHECKS[p]);
const covered = new Set(checks.flatMap((c) => c.covers));

t.test('every testable MUST and SHOULD has a check or a written exclusion', async (t) => {
  const missing = [...requirements.values()]
    .filter((r) => r.testable && !covered.has(r.id) && !exclusions[r.id])
    .map((r) => `${r.id} (${r.level}, ${r.profiles.join('/')}): ${r.text.slice(0, 100)}`);
  t.same(missing, [], `requirements without check or exclusion:\n${missing.join('\n')}`);
});

t.test('checks and exclusions cite only IDs of the spec', async (t) => {
  for (const c of checks) {
    const unknown = c.covers.filter((id) => !requirements.has(id));
    t.same(unknown, [], `${c.id} cites only known IDs`);
  }
  const unknownExcluded = Object.keys(exclusions).filter((id) => !requirements.has(id));
  t.same(unknownExcluded, [], 'exclusions name only known IDs');
});

t.test('an exclusion is a reason, and never shadows a check or a requirement marked not testable', async (t) => {
  for (const [id, reason] of Object.entries(exclusions)) {
    t.ok(typeof reason === 'string' && reason.length >= 20, `${id} has a written reason`);
    t.notOk(covered.has(id), `${id} is excluded but also covered by a check: drop the exclusion`);
    t.not(requirements.get(id)?.testable, false, `${id} is marked not testable in the spec and needs no exclusion`);
  }
});

t.test('check metadata is well formed', async (t) => {
  const ids = new Set<string>();
  for (const c of checks) {
    t.notOk(ids.has(c.id), `${c.id} is unique`);
    ids.add(c.id);
    t.match(c.id, /^(host|broker|agent|client|device)\.[a-z0-9.-]+$/, `${c.id} is a dotted lowercase id starting with its profile`);
    t.ok(c.id.startsWith(`${c.profile}.`), `${c.id} starts with its profile ${c.profile}`);
    t.ok(c.covers.length > 0 && new Set(c.covers).size === c.covers.length, `${c.id} covers at least one ID, each once`);
    t.ok(c.description.length > 20, `${c.id} has a description`);
  }
});
