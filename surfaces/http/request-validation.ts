import type { AnySchema } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { sharedRequestValidators } from './kit/index.ts';

/**
 * Request validation with one difference from Fastify's default: a JSON body is
 * taken as its types are. Query strings, path parameters and headers are text,
 * so there `"5"` may stand for 5; in a body, `"name": 123` for a string field
 * is a client's mistake and answers 400, not a record named "123".
 */
export function validateRequests(app: FastifyInstance, sharedSchemas: readonly AnySchema[]): void {
  const validators = sharedRequestValidators(sharedSchemas);
  app.setValidatorCompiler(({ schema, httpPart }) => validators.compile(schema as AnySchema, httpPart));
}
