/**
 * Output of a run: TAP on stdout while checks finish, then a JSON report and a Markdown report with one
 * row per requirement ID (pass, fail, warn, skip, excluded) and the evidence behind each verdict.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult, Status } from './runner.ts';
import { severityOf, type Requirement } from './requirements.ts';

export type RequirementStatus = Status | 'excluded' | 'not-testable' | 'not-run';

export interface RequirementResult {
  id: string;
  level: string;
  profiles: string[];
  text: string;
  status: RequirementStatus;
  checks: string[];
  reason?: string;
  evidence: { check: string; ok: boolean; expectation: string; topic?: string; payload?: string; expected?: string; actual?: string }[];
}

export interface Report {
  suite: 'tether-conformance';
  protocol: string;
  profiles: string[];
  target: Record<string, unknown>;
  startedAt: string;
  durationMs: number;
  passed: boolean;
  summary: { checks: Record<Status, number>; requirements: Record<RequirementStatus, number> };
  requirements: RequirementResult[];
  checks: CheckResult[];
}

const y = (v: unknown) => JSON.stringify(v);

export class TapWriter {
  private n = 0;
  constructor(private readonly out: (line: string) => void) {}

  header(comment: string): void {
    this.out('TAP version 14');
    this.out(`# ${comment}`);
  }

  result(r: CheckResult): void {
    this.n++;
    const covers = `[${r.covers.join(', ')}]`;
    const name = `${r.id} ${covers}`;
    if (r.status === 'skip') {
      this.out(`ok ${this.n} - ${name} # SKIP ${r.reason?.replace(/^skipped: /, '') ?? ''}`);
      return;
    }
    if (r.status === 'pass') {
      this.out(`ok ${this.n} - ${name}`);
      return;
    }
    const failing = Object.entries(r.ids).filter(([, v]) => v.status === 'fail' || v.status === 'warn');
    const directive = r.status === 'warn' ? ` # TODO warning: SHOULD failed: ${failing.map(([id]) => id).join(', ')}` : '';
    this.out(`not ok ${this.n} - ${name}${directive}`);
    this.out('  ---');
    this.out(`  description: ${y(r.description)}`);
    if (r.reason) this.out(`  reason: ${y(r.reason)}`);
    this.out('  failed:');
    for (const [id, v] of failing) {
      this.out(`    - id: ${id}`);
      this.out(`      severity: ${v.status === 'fail' ? 'MUST' : 'SHOULD'}`);
      const a = r.assertions.find((x) => x.id === id && !x.ok);
      this.out(`      expectation: ${y(a?.expectation ?? v.reason ?? '')}`);
      if (a?.evidence?.topic) this.out(`      topic: ${y(a.evidence.topic)}`);
      if (a?.evidence?.expected) this.out(`      expected: ${y(a.evidence.expected)}`);
      if (a?.evidence?.actual) this.out(`      actual: ${y(a.evidence.actual)}`);
      if (a?.evidence?.payload) this.out(`      payload: ${y(a.evidence.payload)}`);
    }
    this.out('  ...');
  }

  footer(results: CheckResult[]): void {
    this.out(`1..${this.n}`);
    const c = count(results.map((r) => r.status));
    this.out(`# checks: ${c.pass} pass, ${c.fail} fail, ${c.warn} warn, ${c.skip} skip`);
  }
}

function count<T extends string>(xs: T[]): Record<string, number> {
  const out: Record<string, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/** Requirement profiles each suite profile answers for (the host profile tests a deployment: host and broker). */
export const PROFILE_SCOPE: Record<string, string[]> = {
  host: ['host', 'broker'],
  agent: ['agent'],
  client: ['client'],
  device: ['device'],
};

export function buildReport(opts: {
  profiles: string[];
  target: Record<string, unknown>;
  startedAt: Date;
  results: CheckResult[];
  requirements: Map<string, Requirement>;
  exclusions: Record<string, string>;
  only?: boolean;
  protocol?: string;
}): Report {
  const scope = new Set(opts.profiles.flatMap((p) => PROFILE_SCOPE[p] ?? [p]));
  const byId = new Map<string, RequirementResult>();
  const entry = (id: string): RequirementResult => {
    let e = byId.get(id);
    if (!e) {
      const r = opts.requirements.get(id);
      e = {
        id,
        level: r?.level ?? 'UNKNOWN',
        profiles: r?.profiles ?? [],
        text: r?.text ?? '(not in requirements.json)',
        status: 'not-run',
        checks: [],
        evidence: [],
      };
      byId.set(id, e);
    }
    return e;
  };
  const rank: Record<string, number> = { fail: 4, warn: 3, pass: 2, skip: 1 };
  for (const r of opts.results) {
    for (const [id, v] of Object.entries(r.ids)) {
      const e = entry(id);
      e.checks.push(r.id);
      if (e.status === 'not-run' || rank[v.status] > rank[e.status]) {
        e.status = v.status;
        if (v.status !== 'pass') e.reason = v.reason;
      }
      for (const a of r.assertions.filter((x) => x.id === id)) {
        e.evidence.push({ check: r.id, ok: a.ok, expectation: a.expectation, ...a.evidence });
      }
      if (!r.assertions.some((x) => x.id === id) && v.reason) e.evidence.push({ check: r.id, ok: false, expectation: v.reason });
    }
  }
  for (const e of byId.values()) {
    // Keep reports readable: every failing assertion, a few passing ones.
    const bad = e.evidence.filter((x) => !x.ok);
    const good = e.evidence.filter((x) => x.ok).slice(0, bad.length ? 1 : 3);
    e.evidence = [...bad, ...good];
  }
  for (const r of opts.requirements.values()) {
    if (!r.profiles.some((p) => scope.has(p)) || byId.has(r.id)) continue;
    if (!r.testable)
      byId.set(r.id, {
        id: r.id,
        level: r.level,
        profiles: r.profiles,
        text: r.text,
        status: 'not-testable',
        checks: [],
        reason: r.reason,
        evidence: [],
      });
    else if (opts.exclusions[r.id])
      byId.set(r.id, {
        id: r.id,
        level: r.level,
        profiles: r.profiles,
        text: r.text,
        status: 'excluded',
        checks: [],
        reason: opts.exclusions[r.id],
        evidence: [],
      });
    else if (!opts.only)
      byId.set(r.id, {
        id: r.id,
        level: r.level,
        profiles: r.profiles,
        text: r.text,
        status: 'not-run',
        checks: [],
        reason: 'no check of the profiles run covers it',
        evidence: [],
      });
  }
  const requirements = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  const reqCount: Record<RequirementStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0, excluded: 0, 'not-testable': 0, 'not-run': 0 };
  for (const r of requirements) reqCount[r.status]++;
  const checks = count(opts.results.map((r) => r.status)) as Record<Status, number>;
  return {
    suite: 'tether-conformance',
    protocol: opts.protocol ?? '1.0',
    profiles: opts.profiles,
    target: opts.target,
    startedAt: opts.startedAt.toISOString(),
    durationMs: Date.now() - opts.startedAt.getTime(),
    passed: !opts.results.some((r) => r.status === 'fail'),
    summary: { checks, requirements: reqCount },
    requirements,
    checks: opts.results,
  };
}

const md = (s: unknown) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
const ICON: Record<string, string> = {
  pass: 'pass',
  fail: '**FAIL**',
  warn: 'warn',
  skip: 'skip',
  excluded: 'excluded',
  'not-testable': 'not testable',
  'not-run': 'not run',
};

export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const lines = [
    `# Tether conformance report`,
    '',
    `- profiles: ${report.profiles.join(', ')}`,
    `- target: ${Object.entries(report.target)
      .map(([k, v]) => `${k} \`${md(typeof v === 'string' ? v : JSON.stringify(v))}\``)
      .join(', ')}`,
    `- started: ${report.startedAt}, took ${(report.durationMs / 1000).toFixed(1)} s`,
    `- result: **${report.passed ? 'PASSED' : 'FAILED'}** (no MUST may fail; SHOULD failures are warnings)`,
    `- checks: ${s.checks.pass} pass, ${s.checks.fail} fail, ${s.checks.warn} warn, ${s.checks.skip} skip`,
    `- requirements: ${Object.entries(s.requirements)
      .filter(([, n]) => n)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}`,
    '',
    '## Requirements',
    '',
    '| ID | level | result | checks | evidence |',
    '|---|---|---|---|---|',
  ];
  for (const r of report.requirements) {
    const ev = r.evidence[0];
    const evidence = ev
      ? [
          ev.expectation,
          ev.topic && `topic \`${ev.topic}\``,
          ev.expected && `expected ${ev.expected}`,
          ev.payload && `payload \`${ev.payload.slice(0, 160)}\``,
        ]
          .filter(Boolean)
          .join('; ')
      : (r.reason ?? '');
    lines.push(`| ${r.id} | ${r.level} | ${ICON[r.status]} | ${r.checks.join(', ')} | ${md(evidence)} |`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  if (failed.length) {
    lines.push('', '## Failures and warnings', '');
    for (const c of failed) {
      lines.push(`### ${c.id} (${c.status === 'fail' ? 'FAIL' : 'warning'})`, '', c.description, '');
      if (c.reason) lines.push(`- ${md(c.reason)}`);
      for (const a of c.assertions.filter((x) => !x.ok)) {
        lines.push(`- **${a.id}**: ${md(a.expectation)}`);
        if (a.evidence?.topic) lines.push(`  - topic: \`${a.evidence.topic}\``);
        if (a.evidence?.expected) lines.push(`  - expected: ${md(a.evidence.expected)}`);
        if (a.evidence?.actual) lines.push(`  - actual: \`${md(a.evidence.actual)}\``);
        if (a.evidence?.payload) lines.push(`  - payload: \`${md(a.evidence.payload)}\``);
      }
      lines.push('');
    }
  }
  return lines.join('\n') + '\n';
}

export function writeReports(dir: string, report: Report): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'conformance-report.json');
  const markdown = join(dir, 'conformance-report.md');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(markdown, renderMarkdown(report));
  return { json, markdown };
}

export { severityOf };
