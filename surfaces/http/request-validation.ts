import { Ajv, type AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Request validation with one difference from Fastify's default: a JSON body is
 * taken as its types are. Query strings, path parameters and headers are text,
 * so there `"5"` may stand for 5; in a body, `"name": 123` for a string field
 * is a client's mistake and answers 400, not a record named "123".
 */
export function validateRequests(app: FastifyInstance, sharedSchemas: readonly AnySchema[]): void {
  const ajv = (coerceTypes: false | 'array') => {
    const instance = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: true, allErrors: false, addUsedSchema: false, strict: false });
    addFormats.default(instance);
    for (const schema of sharedSchemas) instance.addSchema(schema);
    return instance;
  };
  const bodies = ajv(false);
  const text = ajv('array');
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodies : text).compile(schema as AnySchema));
}
