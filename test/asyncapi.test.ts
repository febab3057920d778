import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse as parseYaml } from 'yaml';
import { topics } from '../protocol/topics.ts';
import { validator, describeErrors } from '../protocol/validate.ts';
import { ID_PATTERN, SCHEMA_ID_PREFIX, SCHEMA_NAMES, type SchemaName } from '../schemas/src/index.ts';

const specPath = join(import.meta.dirname, '..', 'spec', 'v1', 'asyncapi.yaml');
const schemasDir = join(import.meta.dirname, '..', 'schemas', 'v1');
const text = readFileSync(specPath, 'utf8');

/** Parameter names of each topic builder, in argument order. */
const BUILDER_PARAMS: Record<string, string[]> = {
  hostState: ['hostId'],
  submit: ['sid', 'principal'],
  events: ['sid'],
  sessionState: ['sid'],
  presence: ['sid', 'principal', 'device'],
  sessionIndex: ['principal', 'sid'],
  notify: ['principal'],
  result: ['sid'],
  agentState: ['agentId'],
  inbox: ['agentId'],
  requests: ['principal'],
  replies: ['principal', 'clientId'],
};
/** Builders of subscription filters, which are not channels of their own. */
const FILTER_BUILDERS = ['sessionIndexAll'];

/** Builders of the topics whose messages are retained (the topic table of the design). */
const RETAINED_BUILDERS = ['hostState', 'sessionState', 'presence', 'sessionIndex', 'result', 'agentState', 'inbox'];

/** Schemas that only serve as parts or pre-checks of another payload, never a payload themselves. */
const NOT_A_PAYLOAD = new Set(['CommandEnvelope', 'RequestEnvelope', 'EventEnvelope', 'Event', 'ErrorCode']);

/** Topic templates built by calling each builder with sample ids and mapping the samples back to {name}. */
function topicTemplates(): Map<string, string> {
  const templates = new Map<string, string>();
  for (const [key, params] of Object.entries(BUILDER_PARAMS)) {
    const build = topics[key as keyof typeof topics] as (...ids: string[]) => string;
    const samples = params.map((p) => `sample-${p}`);
    const levels = build(...samples).split('/');
    templates.set(key, levels.map((l) => (samples.includes(l) ? `{${params[samples.indexOf(l)]}}` : l)).join('/'));
  }
  return templates;
}

/** The retained topics as channel addresses. */
const RETAINED = new Set(RETAINED_BUILDERS.map((key) => topicTemplates().get(key)));

const parsed = new Parser().parse(text, { source: specPath });

/** The parsed document; when parsing failed, each test that needs it fails with one clear message. */
async function parsedDocument() {
  const { document } = await parsed;
  if (!document) throw new Error('asyncapi.yaml did not parse; see the first test');
  return document;
}

t.test('asyncapi.yaml parses and validates without errors', async (t) => {
  const { document, diagnostics } = await parsed;
  const errors = diagnostics.filter((d) => d.severity === 0);
  t.same(
    errors.map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`),
    [],
    'no diagnostics of severity error',
  );
  t.ok(document, 'a document is produced');
  t.equal(document?.version(), '3.0.0');
  t.equal(document?.info().title(), 'Tether');
  t.equal(document?.info().version(), '1.0.0');
});

t.test('the servers are the embedded broker over MQTT 3.1.1 and over WebSocket', async (t) => {
  const document = await parsedDocument();
  const servers = document
    .servers()
    .all()
    .map((s) => [s.protocol(), s.host(), s.pathname() ?? '', s.protocolVersion()]);
  t.same(servers, [
    ['mqtt', '127.0.0.1:1883', '', '3.1.1'],
    ['ws', '127.0.0.1:8083', '/mqtt', '3.1.1'],
  ]);
});

t.test('the topic builders are all accounted for', async (t) => {
  const builders = Object.entries(topics)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k)
    .sort();
  t.same(builders, [...Object.keys(BUILDER_PARAMS), ...FILTER_BUILDERS].sort());
  for (const [key, params] of Object.entries(BUILDER_PARAMS)) {
    t.equal((topics[key as keyof typeof topics] as (...a: string[]) => string).length, params.length, `${key} takes ${params.join(', ')}`);
  }
});

t.test('every channel is one topic of the topic map, and every topic has a channel', async (t) => {
  const document = await parsedDocument();
  const templates = [...topicTemplates().values()].sort();
  const channels = document.channels().all();
  t.same(channels.map((c) => c.address()).sort(), templates);
  for (const channel of channels) {
    const address = channel.address() ?? '';
    const placeholders = [...address.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const params = channel.parameters().all();
    t.same(params.map((p) => p.id()).sort(), placeholders, `${address} declares exactly its parameters`);
    for (const p of params) {
      t.ok(p.description()?.includes(ID_PATTERN), `${address}: {${p.id()}} states the ID pattern`);
    }
  }
});

t.test('every operation is QoS 1 and retains exactly on retained topics', async (t) => {
  const document = await parsedDocument();
  const operated = new Set<string>();
  for (const op of document.operations().all()) {
    const channels = op.channels().all();
    t.equal(channels.length, 1, `${op.id()} uses one channel`);
    const address = channels[0]?.address() ?? '';
    operated.add(address);
    const mqtt = op.bindings().get('mqtt')?.value() as { qos?: number; retain?: boolean } | undefined;
    t.equal(mqtt?.qos, 1, `${op.id()} is QoS 1`);
    t.equal(mqtt?.retain, RETAINED.has(address), `${op.id()} ${RETAINED.has(address) ? 'retains' : 'does not retain'} on ${address}`);
  }
  for (const template of topicTemplates().values()) t.ok(operated.has(template), `an operation uses ${template}`);
});

t.test('message payloads reference the generated schema files, covering every payload schema', async (t) => {
  const raw = parseYaml(text) as { components: { messages: Record<string, { payload: { $ref?: string } }> } };
  const referenced = new Set<string>();
  for (const [name, message] of Object.entries(raw.components.messages)) {
    const ref = message.payload.$ref ?? '';
    const m = /^\.\.\/\.\.\/schemas\/v1\/([A-Za-z]+)\.schema\.json$/.exec(ref);
    t.ok(m, `${name} payload is a relative file $ref (${ref})`);
    if (m) referenced.add(m[1]);
  }
  const files = readdirSync(schemasDir).map((f) => f.replace(/\.schema\.json$/, ''));
  for (const name of files.filter((f) => !NOT_A_PAYLOAD.has(f))) {
    t.ok(referenced.has(name), `${name}.schema.json is the payload of a message`);
  }

  const document = await parsedDocument();
  for (const message of document.messages().all()) {
    const id = message.payload()?.$id() ?? '';
    t.ok(id.startsWith(SCHEMA_ID_PREFIX), `${message.id()} payload resolved to ${id}`);
  }
});

t.test('every message example is valid against its payload schema', async (t) => {
  const document = await parsedDocument();
  for (const message of document.messages().all()) {
    const name = (message.payload()?.$id() ?? '').slice(SCHEMA_ID_PREFIX.length);
    t.ok((SCHEMA_NAMES as string[]).includes(name), `${message.id()} has a known payload schema`);
    const examples = message.examples().all();
    t.ok(examples.length > 0, `${message.id()} has an example`);
    const validate = validator(name as SchemaName);
    for (const example of examples) {
      const ok = validate(example.payload());
      t.ok(ok, `${message.id()} example ${example.name() ?? ''}: ${ok ? 'valid' : describeErrors(validate.errors)}`);
    }
  }
});
