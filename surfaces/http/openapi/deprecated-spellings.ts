import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../../kernel/errors/index.ts';

/** Which release stops accepting the camelCase spellings of 0.1.0 (surfaces/http/README.md). */
export const DEPRECATED_SPELLINGS_UNTIL = '0.3.0';

type Schema = { type?: unknown; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; deprecated?: boolean; description?: string };

/** The camelCase field and parameter names of 0.1.0 that are now snake_case: still taken on input, until DEPRECATED_SPELLINGS_UNTIL. */
export const DEPRECATED_SPELLINGS: ReadonlySet<string> = new Set([
  'entityId', 'requestId', 'subjectId', 'expiresAt', 'receiptId', 'groupBy',
  'dataClass',
]);

/** The 0.1.0 spelling of a snake_case name, when it had another one. */
function deprecatedSpelling(snake: string): string | undefined {
  const camel = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel !== snake && DEPRECATED_SPELLINGS.has(camel) ? camel : undefined;
}

/**
 * The schema with, beside each snake_case property that had a camelCase
 * spelling in 0.1.0, that spelling marked deprecated (so validation takes it and the document says so).
 * Objects without declared properties (free-form maps, event data) are left as
 * they are.
 */
export function withDeprecatedSpellings<S>(schema: S): S {
  const s = schema as Schema;
  if (!s || typeof s !== 'object') return schema;
  const out: Schema = { ...s };
  if (s.properties) {
    const properties: Record<string, Schema> = {};
    for (const [name, property] of Object.entries(s.properties)) {
      properties[name] = withDeprecatedSpellings(property);
      const camel = deprecatedSpelling(name);
      if (camel && !(camel in s.properties)) {
        properties[camel] = { ...withDeprecatedSpellings(property), deprecated: true, description: `Deprecated spelling of \`${name}\`, accepted until ${DEPRECATED_SPELLINGS_UNTIL}.` };
      }
    }
    out.properties = properties;
  }
  if (s.items) out.items = withDeprecatedSpellings(s.items);
  if (s.anyOf) out.anyOf = s.anyOf.map(withDeprecatedSpellings);
  if (s.oneOf) out.oneOf = s.oneOf.map(withDeprecatedSpellings);
  return out as S;
}

/** Renames deprecated spellings in a value to the snake_case names its schema declares, in place; both spellings of one field is a 400. */
export function renameDeprecatedSpellings(value: unknown, schema: Schema | undefined, where: string): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => renameDeprecatedSpellings(item, schema.items, `${where}[${i}]`));
    return;
  }
  for (const alternative of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) renameDeprecatedSpellings(value, alternative, where);
  if (!schema.properties) return;
  const record = value as Record<string, unknown>;
  for (const [name, property] of Object.entries(schema.properties)) {
    const camel = deprecatedSpelling(name);
    if (camel && Object.hasOwn(record, camel) && !Object.hasOwn(schema.properties, camel)) {
      if (Object.hasOwn(record, name)) throw new DomainError('BAD_REQUEST', `${where} sends both \`${name}\` and its deprecated spelling \`${camel}\`; send \`${name}\` only.`);
      record[name] = record[camel];
      delete record[camel];
    }
    renameDeprecatedSpellings(record[name], property, `${where}.${name}`);
  }
}

/**
 * Every route's body and query schema also takes the camelCase spellings of
 * 0.1.0, documented as deprecated; before validation they are renamed to the
 * snake_case the handlers read. Register before the routes.
 */
export function acceptDeprecatedSpellings(app: FastifyInstance): void {
  const originals = new Map<string, { body?: Schema; querystring?: Schema }>();
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { body?: Schema; querystring?: Schema } | undefined;
    if (!schema || (!schema.body && !schema.querystring)) return;
    for (const method of [route.method].flat()) originals.set(`${method} ${route.url}`, { body: schema.body, querystring: schema.querystring });
    route.schema = {
      ...schema,
      ...(schema.body ? { body: withDeprecatedSpellings(schema.body) } : {}),
      ...(schema.querystring ? { querystring: withDeprecatedSpellings(schema.querystring) } : {}),
    };
  });
  app.addHook('preValidation', async (request) => {
    const original = originals.get(`${request.method} ${request.routeOptions.url}`);
    if (!original) return;
    renameDeprecatedSpellings(request.body, original.body, 'body');
    renameDeprecatedSpellings(request.query, original.querystring, 'query');
  });
}
