import t from 'tap';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { validator, describeErrors } from '../protocol/validate.ts';
import {
  COMMAND_TYPES,
  DEVICE_PAYLOAD_MAX,
  EVENT_TYPES,
  REPLY_TYPES,
  REQUEST_TYPES,
  SCHEMA_ID_PREFIX,
  SCHEMA_NAMES,
  type SchemaName,
} from '../schemas/src/index.ts';

const schemasDir = join(import.meta.dirname, '..', 'schemas', 'v1');
const examplesDir = join(import.meta.dirname, '..', 'schemas', 'examples');

const schemaFiles = readdirSync(schemasDir).filter((f) => f.endsWith('.schema.json'));
const schemaNames = schemaFiles.map((f) => f.slice(0, -'.schema.json'.length));

type Example = { name: string; kind: 'valid' | 'invalid'; file: string; rel: string; value: unknown };

function examplesOf(name: string, kind: 'valid' | 'invalid'): Example[] {
  const dir = join(examplesDir, name, kind);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((file) => ({
      name,
      kind,
      file,
      rel: `${name}/${kind}/${file}`,
      value: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown,
    }));
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

t.test('every generated schema has a versioned $id and a description', async (t) => {
  t.same(schemaNames.sort(), [...SCHEMA_NAMES].sort(), 'schemas/v1 holds exactly the schemas of schemas/src');
  for (const file of schemaFiles) {
    const schema = JSON.parse(readFileSync(join(schemasDir, file), 'utf8')) as { $id?: unknown; description?: unknown };
    t.ok(typeof schema.$id === 'string' && schema.$id.startsWith(SCHEMA_ID_PREFIX), `${file} has $id ${String(schema.$id)}`);
    t.ok(typeof schema.description === 'string' && schema.description.length > 0, `${file} has a top-level description`);
  }
});

t.test('every schema has valid and invalid examples, and no example folder lacks a schema', async (t) => {
  t.same(
    readdirSync(examplesDir)
      .filter((f) => f !== 'README.md')
      .sort(),
    [...schemaNames].sort(),
  );
  for (const name of schemaNames) {
    t.ok(examplesOf(name, 'valid').length > 0, `${name} has a valid example`);
    t.ok(examplesOf(name, 'invalid').length > 0, `${name} has an invalid example`);
    const stray = readdirSync(join(examplesDir, name)).filter((d) => d !== 'valid' && d !== 'invalid');
    t.same(stray, [], `${name} holds only valid/ and invalid/`);
  }
});

t.test('every valid example validates against its schema', async (t) => {
  for (const name of schemaNames) {
    const validate = validator(name as SchemaName);
    for (const ex of examplesOf(name, 'valid')) {
      t.ok(validate(ex.value), `${ex.rel}: ${validate(ex.value) ? 'valid' : describeErrors(validate.errors)}`);
    }
  }
});

t.test('every invalid example fails its schema', async (t) => {
  for (const name of schemaNames) {
    const validate = validator(name as SchemaName);
    for (const ex of examplesOf(name, 'invalid')) {
      t.notOk(validate(ex.value), `${ex.rel} is rejected`);
    }
  }
});

t.test('every invalid example has its mistake explained in the README table, and only those', async (t) => {
  const readme = readFileSync(join(examplesDir, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| `([^`]+)` \| (.+?) \|$/gm)];
  const documented = rows.map((m) => m[1]).sort();
  const files = schemaNames.flatMap((name) => examplesOf(name, 'invalid').map((ex) => ex.rel)).sort();
  t.same(documented, files);
  for (const m of rows) t.ok(m[2].trim().length > 10, `${m[1]} explains its mistake`);
});

/** Command, Event, Request and Reply: one example per type, named after the type it shows. */
const typed: Array<[SchemaName, readonly string[]]> = [
  ['Command', COMMAND_TYPES],
  ['Event', EVENT_TYPES],
  ['Request', REQUEST_TYPES],
  ['Reply', REPLY_TYPES],
];

t.test('every command, event, request and reply type has a valid example named after it', async (t) => {
  for (const [name, types] of typed) {
    const examples = examplesOf(name, 'valid');
    for (const ex of examples) {
      const type = (ex.value as { type?: unknown }).type;
      t.ok(
        typeof type === 'string' && (ex.file === `${type}.json` || ex.file.startsWith(`${type}.`)),
        `${ex.rel} is named after its type ${String(type)}`,
      );
    }
    for (const type of types) {
      t.ok(
        examples.some((ex) => ex.file === `${type}.json`),
        `${name}/valid/${type}.json exists`,
      );
    }
  }
});

t.test('the valid event batches show every event type, with contiguous seq and known events well-formed', async (t) => {
  const eventValidator = validator('Event');
  const seen = new Set<string>();
  for (const ex of examplesOf('EventBatch', 'valid')) {
    const batch = ex.value as { sid: string; events: Array<{ sid: string; seq: number; type: string }> };
    batch.events.forEach((e, k) => {
      seen.add(e.type);
      if (k > 0) t.equal(e.seq, batch.events[k - 1].seq + 1, `${ex.rel}: seq ${e.seq} follows seq ${batch.events[k - 1].seq}`);
      t.equal(e.sid, batch.sid, `${ex.rel}: event ${e.seq} belongs to the batch's session`);
      if ((EVENT_TYPES as readonly string[]).includes(e.type)) {
        t.ok(eventValidator(e), `${ex.rel}: event ${e.seq} is a valid ${e.type}`);
      }
    });
  }
  for (const type of EVENT_TYPES) t.ok(seen.has(type), `an EventBatch example carries ${type}`);
});

t.test('valid device payloads fit the 256-byte limit', async (t) => {
  for (const name of ['Notification', 'Result']) {
    for (const ex of examplesOf(name, 'valid')) {
      t.ok(byteLength(ex.value) <= DEVICE_PAYLOAD_MAX, `${ex.rel} is ${byteLength(ex.value)} bytes`);
    }
  }
});
