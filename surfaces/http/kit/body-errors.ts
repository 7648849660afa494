import type { FastifySchemaValidationError, RouteShorthandOptions } from 'fastify';
import { DomainError, type ErrorCode } from '../../../kernel/errors/index.ts';

type Formatter = NonNullable<RouteShorthandOptions['schemaErrorFormatter']>;

/** `/entities/1/type` → `entities[1].type`, as the hand-written checks name a field. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
    .join('');
}

/** Where an error is, as a JSON pointer into the body (a missing property: where it should be). */
function pointerOf(error: FastifySchemaValidationError): string {
  const missing = error.keyword === 'required' ? (error.params as { missingProperty?: string }).missingProperty : undefined;
  return missing === undefined ? error.instancePath : `${error.instancePath}/${missing}`;
}

function sentence(error: FastifySchemaValidationError, dataVar: string): string {
  const where = `${dataVar}${fieldPath(pointerOf(error))}`;
  if (error.keyword === 'required') return `${where} is missing`;
  if (error.keyword === 'enum') return `${where} must be one of ${((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')}`;
  return `${where} ${error.message ?? 'is not valid'}`;
}

/**
 * A route's `schemaErrorFormatter`: a body that breaks its schema is refused with the
 * code the route's own checks use for that part of the body (ENTITY_INVALID,
 * EDGE_INVALID, …), chosen by the longest JSON-pointer prefix in `codes` (`''`
 * matches any error in the body, `/` any in its fields, `/items/` any inside
 * `items`). Anything else (a parameter, the query, a part of the body no prefix
 * matches) keeps Fastify's message and answers QUERY_INVALID, as every schema
 * error does (`toDomainError`).
 */
export function bodyErrorsAs(codes: Record<string, ErrorCode>): Formatter {
  const prefixes = Object.keys(codes).sort((a, b) => b.length - a.length);
  return (errors, dataVar) => {
    const first = errors[0];
    const pointer = first ? pointerOf(first) : '';
    const prefix = dataVar === 'body' && first ? prefixes.find((p) => pointer.startsWith(p)) : undefined;
    if (prefix !== undefined) return new DomainError(codes[prefix]!, `${sentence(first!, dataVar)}.`);
    return new Error(errors.map((e) => `${dataVar}${e.instancePath || ''} ${e.message}`).join(', '));
  };
}
