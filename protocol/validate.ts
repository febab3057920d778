/**
 * Validators compiled from the generated JSON Schemas (schemas/v1), so the code checks
 * exactly what an implementer in another language checks.
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

/** Compile an arbitrary JSON Schema, e.g. an input request's answerSchema. Throws on an invalid schema. */
export function compileSchema(schema: object): ValidateFunction {
  const { $id: _ignored, ...rest } = schema as { $id?: unknown };
  return instance().compile(rest);
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
