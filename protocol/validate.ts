/**
 * Validators compiled from the TypeBox sources that generate schemas/v1 (kept identical by
 * `npm run schemas -- --check`), so the code checks exactly what an implementer checks.
 */
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { SchemaName } from '../schemas/src/index.ts';
import { SCHEMAS, SCHEMA_ID_PREFIX } from '../schemas/src/index.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: false, strict: false, allowUnionTypes: true });
    addFormats(ajv);
  }
  return ajv;
}

/** The validator of a named top-level schema (generated from the same TypeBox source). */
export function validator(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    const schema = { $id: `${SCHEMA_ID_PREFIX}${name}`, ...JSON.parse(JSON.stringify(SCHEMAS[name])) };
    fn = instance().compile(schema);
    compiled.set(name, fn);
  }
  return fn;
}

/** Compile one of our own schema fragments (trusted) with the shared instance. */
export function compileSchema(schema: object): ValidateFunction {
  return instance().compile(schema);
}

let untrusted: Ajv2020 | undefined;

/**
 * Compile a schema from the network (an input request's answerSchema) in an instance of its own
 * that never registers it by $id, so one request cannot shadow or reach another's schema.
 * Throws on an invalid schema.
 */
export function compileAnswerSchema(schema: object): ValidateFunction {
  if (!untrusted) {
    untrusted = new Ajv2020({ allErrors: false, strict: false, allowUnionTypes: true, addUsedSchema: false });
    addFormats(untrusted);
  }
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
