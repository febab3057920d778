/**
 * Extracts the requirements of the normative spec (spec/v1/*.md) into spec/v1/requirements.json and
 * enforces the requirement conventions (STYLE.md 1-2): every uppercase RFC 2119 keyword sits in an
 * ID'd list item `- **[AREA-NAME-N]** (profiles) text`, with exactly one keyword per item, known
 * profiles, unique IDs that are not retired, and references only to IDs that exist.
 * It also validates every ```json schema=NAME example against the named schema.
 * `--check` regenerates in memory and fails when requirements.json is stale, without writing.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEVICE_PAYLOAD_MAX, PROTOCOL_VERSION, SCHEMA_NAMES, type SchemaName } from '../schemas/src/index.ts';
import { check } from '../protocol/validate.ts';

export const PROFILES = ['broker', 'host', 'agent', 'client', 'device'] as const;
export type Profile = (typeof PROFILES)[number];
export const LEVELS = ['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT'] as const;
export type Level = (typeof LEVELS)[number];

export interface Requirement {
  id: string;
  level: Level;
  profiles: Profile[];
  text: string;
  file: string;
  section: string;
  testable: boolean;
  reason?: string;
}

/** A Markdown file of the spec; `file` is its repository-relative path, e.g. spec/v1/topics.md. */
export interface SpecFile {
  file: string;
  text: string;
}

/** A fenced ```json schema=NAME block. */
export interface Example {
  file: string;
  line: number;
  schema: string;
  source: string;
}

export interface ParseResult {
  requirements: Requirement[];
  retired: string[];
  examples: Example[];
  errors: string[];
}

export const ID_RE = /^[A-Z]+-[A-Z]+-[0-9]+$/;
const ID_TOKEN_RE = /\b[A-Z]+-[A-Z]+-[0-9]+\b/g;
const ITEM_RE = /^- \*\*\[([^\]]*)\]\*\* \(([^)]*)\) (.+)$/;
const LOOKS_LIKE_ITEM_RE = /^\s*[-*+] \*\*\[/;
/** Every uppercase BCP 14 keyword; only the four LEVELS are allowed, and only inside items. */
const KEYWORD_RE = /\b(MUST NOT|MUST|SHOULD NOT|SHOULD|SHALL NOT|SHALL|REQUIRED|NOT RECOMMENDED|RECOMMENDED)\b/g;
const NOT_TESTABLE_RE = /\s+_\(not testable: (.+)\)_$/;
const FENCE_RE = /^\s*(`{3,}|~{3,})(.*)$/;
const EXAMPLE_INFO_RE = /^json\s+schema=([A-Za-z0-9]+)\s*$/;
const RETIRED_FILE = 'retired.md';

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/** IDs listed in the first column of the table of retired.md (`| id | retired in | reason |`). */
export function parseRetired(text: string): string[] {
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\|\s*`?([A-Z]+-[A-Z]+-[0-9]+)`?\s*\|/.exec(line);
    if (m) ids.push(m[1]);
  }
  return ids;
}

interface Item {
  id: string;
  profiles: string;
  text: string;
  file: string;
  line: number;
  section: string;
}

/** Parses the spec files (in the order given) and reports every convention violation as `file:line: message`. */
export function parseSpec(files: SpecFile[]): ParseResult {
  const errors: string[] = [];
  const retiredFile = files.find((f) => baseName(f.file) === RETIRED_FILE);
  const retired = retiredFile ? parseRetired(retiredFile.text) : [];
  const items: Item[] = [];
  const examples: Example[] = [];
  const references: { id: string; where: string }[] = [];

  for (const { file, text } of files) {
    const lines = text.split('\n');
    let section = '';
    let fence: { marker: string; example?: Example } | undefined;
    let current: Item | undefined;
    lines.forEach((raw, index) => {
      const line = raw.replace(/\r$/, '');
      const where = `${file}:${index + 1}`;
      for (const m of line.matchAll(ID_TOKEN_RE)) references.push({ id: m[0], where });

      const fenceMatch = FENCE_RE.exec(line);
      if (fence) {
        if (fenceMatch && fenceMatch[1][0] === fence.marker[0] && fenceMatch[1].length >= fence.marker.length && !fenceMatch[2].trim()) {
          if (fence.example) examples.push(fence.example);
          fence = undefined;
        } else if (fence.example) {
          fence.example.source += line + '\n';
        }
        if (line.match(KEYWORD_RE)) errors.push(`${where}: uppercase normative keyword inside a code block (outside a requirement item)`);
        return;
      }
      if (fenceMatch) {
        current = undefined;
        const info = fenceMatch[2].trim();
        const ex = EXAMPLE_INFO_RE.exec(info);
        fence = { marker: fenceMatch[1] };
        if (ex) {
          if ((SCHEMA_NAMES as string[]).includes(ex[1])) fence.example = { file, line: index + 1, schema: ex[1], source: '' };
          else errors.push(`${where}: unknown schema "${ex[1]}" in \`json schema=\` (known: ${SCHEMA_NAMES.join(', ')})`);
        } else if (/schema=/.test(info)) {
          errors.push(`${where}: malformed example info string "${info}" (expected \`json schema=NAME\`)`);
        }
        return;
      }

      const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (heading) {
        section = heading[1];
        current = undefined;
      }

      const item = ITEM_RE.exec(line);
      if (item) {
        current = { id: item[1], profiles: item[2], text: item[3], file, line: index + 1, section };
        items.push(current);
        return;
      }
      if (LOOKS_LIKE_ITEM_RE.test(line)) {
        errors.push(`${where}: malformed requirement item (expected \`- **[AREA-NAME-n]** (profiles) text\`)`);
        current = undefined;
        return;
      }
      if (current && /^\s{2,}\S/.test(line) && !/^\s*([-*+]|\d+\.)\s/.test(line)) {
        current.text += ' ' + line.trim();
        return;
      }
      current = undefined;
      const keywords = line.match(KEYWORD_RE);
      if (keywords)
        errors.push(`${where}: uppercase normative keyword ${keywords.map((k) => `"${k}"`).join(', ')} outside a requirement item`);
    });
    if (fence) errors.push(`${file}: unterminated code block`);
  }

  const requirements: Requirement[] = [];
  const seen = new Map<string, string>();
  for (const item of items) {
    const where = `${item.file}:${item.line}`;
    if (!ID_RE.test(item.id)) {
      errors.push(`${where}: malformed requirement ID "${item.id}" (expected AREA-NAME-n, e.g. HOST-SEQ-1)`);
      continue;
    }
    const first = seen.get(item.id);
    if (first) errors.push(`${where}: requirement ID ${item.id} repeats (first at ${first})`);
    else seen.set(item.id, where);
    if (retired.includes(item.id))
      errors.push(`${where}: requirement ID ${item.id} is retired (spec/v1/${RETIRED_FILE}) and may not be used`);

    const profiles = item.profiles.split(',').map((p) => p.trim());
    const unknown = profiles.filter((p) => !(PROFILES as readonly string[]).includes(p));
    if (unknown.length || !profiles.length) {
      errors.push(`${where}: unknown profile(s) ${unknown.map((p) => `"${p}"`).join(', ')} in ${item.id} (known: ${PROFILES.join(', ')})`);
    }
    if (new Set(profiles).size !== profiles.length) errors.push(`${where}: a profile is named twice in ${item.id}`);

    let text = item.text.trim();
    let reason: string | undefined;
    const nt = NOT_TESTABLE_RE.exec(text);
    if (nt) {
      reason = nt[1].trim();
      text = text.slice(0, nt.index).trim();
    }
    const keywords = text.match(KEYWORD_RE) ?? [];
    if (keywords.length !== 1) {
      errors.push(
        `${where}: ${item.id} has ${keywords.length} normative keywords (${keywords.join(', ') || 'none'}); exactly one is required`,
      );
      continue;
    }
    const level = keywords[0];
    if (!(LEVELS as readonly string[]).includes(level)) {
      errors.push(`${where}: ${item.id} uses "${level}"; write one of ${LEVELS.join(', ')}`);
      continue;
    }
    const req: Requirement = {
      id: item.id,
      level: level as Level,
      profiles: profiles as Profile[],
      text,
      file: item.file,
      section: item.section,
      testable: reason === undefined,
    };
    if (reason !== undefined) req.reason = reason;
    requirements.push(req);
  }

  const known = new Set([...items.map((i) => i.id), ...retired]);
  for (const { id, where } of references) {
    if (!known.has(id)) errors.push(`${where}: reference to unknown requirement ID ${id}`);
  }
  return { requirements, retired, examples, errors };
}

/** Checks beyond the JSON Schema that an example of a given schema must satisfy (sizes, seq contiguity). */
export function exampleInvariants(schema: string, value: unknown): string[] {
  const problems: string[] = [];
  const v = value as Record<string, unknown>;
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if ((schema === 'Notification' || schema === 'Result') && bytes > DEVICE_PAYLOAD_MAX) {
    problems.push(`${schema} is ${bytes} bytes; at most ${DEVICE_PAYLOAD_MAX} allowed`);
  }
  const eventsOk = (events: unknown, sid: unknown, contiguous: boolean, after: number) => {
    if (!Array.isArray(events)) return;
    let prev = after;
    for (const [i, e] of events.entries()) {
      const r = check('Event', e);
      if (!r.ok) problems.push(`events[${i}] is not a valid Event: ${r.message}`);
      const ev = e as { seq?: number; sid?: unknown };
      if (ev.sid !== sid) problems.push(`events[${i}].sid differs from the enclosing sid`);
      if (typeof ev.seq === 'number') {
        if (contiguous && prev > 0 && ev.seq !== prev + 1) problems.push(`events[${i}].seq ${ev.seq} does not follow ${prev}`);
        if (ev.seq <= prev) problems.push(`events[${i}].seq ${ev.seq} is not above ${prev}`);
        prev = ev.seq;
      }
    }
  };
  if (schema === 'EventBatch') eventsOk(v.events, v.sid, true, 0);
  if (schema === 'Reply' && v.type === 'history.page') {
    const d = v.data as { sid: unknown; from: number; to: number; events: { seq: number }[] };
    eventsOk(d.events, d.sid, false, d.from);
    const last = d.events.at(-1);
    if (last && last.seq > d.to) problems.push(`history.page has an event after to=${d.to}`);
  }
  return problems;
}

/** Validates one example: JSON syntax, its schema, and exampleInvariants. */
export function exampleProblems(ex: Example): string[] {
  let value: unknown;
  try {
    value = JSON.parse(ex.source);
  } catch (e) {
    return [`not valid JSON: ${(e as Error).message}`];
  }
  const r = check(ex.schema as SchemaName, value);
  return r.ok ? exampleInvariants(ex.schema, value) : [`does not validate against ${ex.schema}: ${r.message}`];
}

export const ROOT = join(import.meta.dirname, '..');
export const SPEC_DIR = 'spec/v1';
export const REQUIREMENTS_FILE = `${SPEC_DIR}/requirements.json`;

/** Reads spec/v1/*.md in byte order of the file names (README.md first). */
export function readSpec(root: string = ROOT): SpecFile[] {
  return readdirSync(join(root, SPEC_DIR))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => ({ file: `${SPEC_DIR}/${f}`, text: readFileSync(join(root, SPEC_DIR, f), 'utf8') }));
}

export function renderRequirements(requirements: Requirement[]): string {
  return JSON.stringify({ version: PROTOCOL_VERSION, requirements }, null, 2) + '\n';
}

function main(): void {
  const checkOnly = process.argv.includes('--check');
  const { requirements, examples, errors } = parseSpec(readSpec());
  for (const ex of examples) {
    for (const p of exampleProblems(ex)) errors.push(`${ex.file}:${ex.line}: example (${ex.schema}) ${p}`);
  }
  if (errors.length) {
    console.error(`spec: ${errors.length} problem(s):\n  ${errors.join('\n  ')}`);
    process.exit(1);
  }
  const rendered = renderRequirements(requirements);
  const path = join(ROOT, REQUIREMENTS_FILE);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (checkOnly) {
    if (current !== rendered) {
      console.error(`spec: ${REQUIREMENTS_FILE} is ${current === undefined ? 'missing' : 'stale'}; run \`npm run spec\` to regenerate`);
      process.exit(1);
    }
    console.log(`spec: ${requirements.length} requirements in sync, ${examples.length} examples valid`);
    return;
  }
  if (current !== rendered) writeFileSync(path, rendered);
  console.log(`spec: wrote ${requirements.length} requirements to ${REQUIREMENTS_FILE}; ${examples.length} examples valid`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
