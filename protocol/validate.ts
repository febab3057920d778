/**
 * Validators compiled from the generated JSON Schemas in schemas/v1 (the files an implementer in
 * another language uses; `npm run schemas -- --check` keeps them identical to the TypeBox sources).
 * Runtime code never loads TypeBox.
 */
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import Command from '../schemas/v1/Command.schema.json' with { type: 'json' };
import CommandEnvelope from '../schemas/v1/CommandEnvelope.schema.json' with { type: 'json' };
import Event from '../schemas/v1/Event.schema.json' with { type: 'json' };
import EventEnvelope from '../schemas/v1/EventEnvelope.schema.json' with { type: 'json' };
import EventBatch from '../schemas/v1/EventBatch.schema.json' with { type: 'json' };
import Request from '../schemas/v1/Request.schema.json' with { type: 'json' };
import RequestEnvelope from '../schemas/v1/RequestEnvelope.schema.json' with { type: 'json' };
import Reply from '../schemas/v1/Reply.schema.json' with { type: 'json' };
import HostState from '../schemas/v1/HostState.schema.json' with { type: 'json' };
import SessionState from '../schemas/v1/SessionState.schema.json' with { type: 'json' };
import SessionIndexEntry from '../schemas/v1/SessionIndexEntry.schema.json' with { type: 'json' };
import Presence from '../schemas/v1/Presence.schema.json' with { type: 'json' };
import AgentState from '../schemas/v1/AgentState.schema.json' with { type: 'json' };
import InboxDoorbell from '../schemas/v1/InboxDoorbell.schema.json' with { type: 'json' };
import Notification from '../schemas/v1/Notification.schema.json' with { type: 'json' };
import Result from '../schemas/v1/Result.schema.json' with { type: 'json' };
import ErrorCode from '../schemas/v1/ErrorCode.schema.json' with { type: 'json' };

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const GENERATED = {
  Command,
  CommandEnvelope,
  Event,
  EventEnvelope,
  EventBatch,
  Request,
  RequestEnvelope,
  Reply,
  HostState,
  SessionState,
  SessionIndexEntry,
  Presence,
  AgentState,
  InboxDoorbell,
  Notification,
  Result,
  ErrorCode,
} as const;
export type SchemaName = keyof typeof GENERATED;

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: false, strict: false, allowUnionTypes: true });
    addFormats(ajv);
  }
  return ajv;
}

/** The validator of a named top-level schema. */
export function validator(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    fn = instance().compile(GENERATED[name]);
    compiled.set(name, fn);
  }
  return fn;
}

type Variant = { properties: { type: { const: string }; data: object } };

/**
 * The validator of the `data` of one command, request or reply type, taken from its variant in the
 * generated union, so errors name the fields of that type only.
 */
export function dataValidator(union: 'Command' | 'Request' | 'Reply', type: string): ValidateFunction | undefined {
  const key = `${union}:${type}`;
  let fn = compiled.get(key);
  if (!fn) {
    const variant = (GENERATED[union].anyOf as unknown as Variant[]).find((v) => v.properties.type.const === type);
    if (!variant) return undefined;
    fn = instance().compile(variant.properties.data);
    compiled.set(key, fn);
  }
  return fn;
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema document walked generically, any keyword any value
type Schema = { [k: string]: any };

/** The variant of a union a value belongs to: the one whose `const` properties all match, else one without any. */
function variantOf(variants: Schema[], value: Schema): Schema | undefined {
  let fallback: Schema | undefined;
  for (const v of variants) {
    const consts = Object.entries((v.properties ?? {}) as Schema).filter(([, p]) => p && 'const' in p);
    if (consts.length === 0) fallback ??= v;
    else if (consts.every(([k, p]) => value[k] === p.const)) return v;
  }
  return fallback;
}

function keepKnown(schema: Schema | undefined, value: unknown): unknown {
  if (!schema || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return schema.items ? value.map((v) => keepKnown(schema.items, v)) : value;
  if (schema.anyOf) return keepKnown(variantOf(schema.anyOf, value as Schema), value);
  // Records, free-form values and unknown part kinds are kept whole.
  // (An unknown part kind is recognised by its `kind` declared with `not`: its fields are not ours to judge.)
  if (!schema.properties || schema.patternProperties || Object.values(schema.properties as Schema).some((p) => p?.not)) return value;
  const out: Schema = {};
  for (const [k, sub] of Object.entries(schema.properties as Schema)) {
    if ((value as Schema)[k] !== undefined) out[k] = keepKnown(sub, (value as Schema)[k]);
  }
  return out;
}

/**
 * The data of a (validated) command or request with only the fields its type defines, at every
 * depth: unknown fields are accepted but not carried into the log [VER-COMPAT-3].
 */
export function knownFields(union: 'Command' | 'Request', type: string, data: unknown): unknown {
  const variant = (GENERATED[union].anyOf as unknown as Variant[]).find((v) => v.properties.type.const === type);
  return keepKnown(variant?.properties.data as Schema | undefined, data);
}

let untrusted: Ajv2020 | undefined;

/** The keywords an answerSchema may use (spec/v1/input-steer-runs.md, answer schemas) [HOST-INPUT-2]. */
export const ANSWER_SCHEMA_KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  '$defs',
  '$ref',
  '$schema',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'format',
]);

/** Keywords whose value is a map of names to subschemas (the names are not keywords). */
const SCHEMA_MAPS = new Set(['properties', '$defs']);
/** Keywords whose value is data, not a subschema. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'required']);

function keywordOutsideSubset(schema: unknown): string | undefined {
  const stack: unknown[] = [schema];
  for (let n = 0; stack.length && n < 10_000; n++) {
    const node = stack.pop();
    if (typeof node === 'boolean') continue;
    if (!node || typeof node !== 'object' || Array.isArray(node)) return 'a non-schema value';
    for (const [k, v] of Object.entries(node)) {
      if (!ANSWER_SCHEMA_KEYWORDS.has(k)) return k;
      if (DATA_KEYWORDS.has(k)) continue;
      if (SCHEMA_MAPS.has(k) && v && typeof v === 'object') stack.push(...Object.values(v));
      else if (Array.isArray(v)) stack.push(...v);
      else if (k === 'items' || k === 'not' || k === 'additionalProperties') stack.push(v);
    }
  }
  return undefined;
}

/**
 * Compile a schema from the network (an input request's answerSchema) in an instance of its own
 * that never registers it by $id, so one request cannot shadow or reach another's schema.
 * Throws on an invalid schema.
 */
export function compileAnswerSchema(schema: object): ValidateFunction {
  if (!untrusted) {
    // No formats added: `format` is an annotation in answer schemas [HOST-INPUT-15].
    untrusted = new Ajv2020({ allErrors: false, strict: false, allowUnionTypes: true, addUsedSchema: false, validateFormats: false });
  }
  const outside = keywordOutsideSubset(schema);
  if (outside) throw new Error(`keyword ${outside} is outside the answer-schema subset`);
  return untrusted.compile(schema);
}

export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors?.length) return 'invalid';
  return errors
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}

export type Validation<T> = { ok: true; value: T } | { ok: false; message: string };

export function check<T>(name: SchemaName, value: unknown): Validation<T> {
  const fn = validator(name);
  return fn(value) ? { ok: true, value: value as T } : { ok: false, message: describeErrors(fn.errors) };
}
