import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Parameter, Schema } from './contract-operations.ts';

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect); OpenAPI's own keywords (`example`, `xml`) are let through. */
function newAjv(options: { coerceTypes?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true, ...options });
  addFormats.default(ajv);
  return ajv;
}

const plain = newAjv();
const coercing = newAjv({ coerceTypes: 'array' as never });
const compiled = new WeakMap<object, ValidateFunction>();

/** Whether the value satisfies the schema; the first error otherwise. */
export function check(schema: Schema, value: unknown): string | undefined {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = plain.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return undefined;
  const [error] = validate.errors ?? [];
  return error ? `${error.instancePath || '(root)'} ${error.message}` : 'invalid';
}

/** The query or path parameters as one object schema, validated the way the server reads a query string (strings coerced to the declared types). */
export function checkParameters(parameters: readonly Parameter[], where: 'query' | 'path', values: Record<string, string | string[]>): string | undefined {
  const mine = parameters.filter((p) => p.in === where);
  const schema = {
    type: 'object',
    properties: Object.fromEntries(mine.map((p) => [p.name, p.schema])),
    required: mine.filter((p) => p.required).map((p) => p.name),
  };
  const validate = coercing.compile(schema);
  if (validate(structuredClone(values))) return undefined;
  const [error] = validate.errors ?? [];
  return error ? `${where}${error.instancePath} ${error.message}` : 'invalid';
}
