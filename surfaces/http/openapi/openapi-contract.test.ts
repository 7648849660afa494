import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { COMMITTED_OPENAPI, formatOpenApiDocument, renderOpenApiDocument, type OpenApiDocument } from './openapi-document.ts';
import { formatProblem, lintOpenApi } from './openapi-lint.ts';
import { unintendedBreakingChanges, type IntendedBreakingChange } from './breaking-changes.ts';

const readJson = <T>(url: URL): T => JSON.parse(readFileSync(url, 'utf8')) as T;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function operations(document: OpenApiDocument): [string, Record<string, unknown>][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).filter(([method]) => METHODS.includes(method)).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op as Record<string, unknown>] as [string, Record<string, unknown>]),
  );
}

describe('the OpenAPI contract', async () => {
  const served = await renderOpenApiDocument();

  it('is the committed one (surfaces/http/openapi.json): run `npm run openapi:write` and commit it with the change', () => {
    expect(formatOpenApiDocument(served)).toBe(readFileSync(COMMITTED_OPENAPI, 'utf8'));
  });

  it('validates against the OAI\'s OpenAPI 3.1 schema (test/data/openapi)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    // Ajv does not follow this schema's `$dynamicRef: "#meta"` (a Schema Object is "any object or boolean" there): point them at that definition statically.
    const text = readFileSync(new URL('../../../test/data/openapi/oas-3.1-schema-2025-11-23.json', import.meta.url), 'utf8');
    const validate = ajv.compile(JSON.parse(text.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"')) as object);
    expect(validate(served) ? [] : validate.errors).toEqual([]);
  });

  it('is valid OpenAPI 3.1 with no error or warning from Spectral (spectral:oas) or Redocly (recommended)', { timeout: 60_000 }, async () => {
    expect(served.openapi).toBe('3.1.0');
    expect((await lintOpenApi(served)).map(formatProblem)).toEqual([]);
  });

  it('documents for every operation a success response with a schema, and for every /v1 operation the errors as the one Error schema', () => {
    const missing: string[] = [];
    for (const [name, op] of operations(served)) {
      const responses = op.responses as Record<string, { content?: Record<string, { schema?: unknown }>; $ref?: string }>;
      const success = Object.entries(responses).filter(([status]) => /^2/.test(status));
      if (!success.length || success.some(([status, r]) => status !== '204' && !Object.values(r.content ?? {}).every((c) => c.schema))) missing.push(`${name}: success schema`);
      if (!name.includes(' /v1/')) continue;
      for (const status of ['400', '401', '403']) if (!responses[status]) missing.push(`${name}: ${status}`);
      for (const [status, r] of Object.entries(responses)) {
        if (!/^[45]/.test(status)) continue;
        const schema = r.content?.['application/json']?.schema as { $ref?: string } | undefined;
        if (schema?.$ref !== '#/components/schemas/Error') missing.push(`${name}: ${status} is not the Error schema`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('breaks the released contract (surfaces/http/openapi/openapi.released.json) only where surfaces/http/openapi/intended-breaking-changes.json says so', () => {
    const released = readJson<object>(new URL('openapi.released.json', import.meta.url));
    const intended = readJson<IntendedBreakingChange[]>(new URL('intended-breaking-changes.json', import.meta.url));
    expect(unintendedBreakingChanges(released, served, intended).map((c) => `${c.action} ${c.path}: ${c.description}`)).toEqual([]);
  });
});

describe('the breaking-change check', () => {
  const released = readJson<OpenApiDocument>(COMMITTED_OPENAPI);

  type Stats = { get: { responses: { 200: { content: { 'application/json': { schema: { properties: Record<string, unknown>; required: string[] } } } } } } };
  const statsSchema = (document: OpenApiDocument) => (document.paths['/v1/events/stats'] as Stats).get.responses[200].content['application/json'].schema;

  it('finds a removed operation, and lets it through once marked intended', () => {
    const current = structuredClone(released);
    delete current.paths['/v1/events/stats'];
    expect(unintendedBreakingChanges(released, current, []).map((c) => c.path)).toEqual(['paths//v1/events/stats/get']);
    expect(unintendedBreakingChanges(released, current, [{ path: 'paths//v1/events/stats', reason: 'test' }])).toEqual([]);
  });

  it('finds a response field clients were promised and no longer get', () => {
    const current = structuredClone(released);
    const schema = statsSchema(current);
    delete schema.properties.total;
    schema.required = schema.required.filter((name) => name !== 'total');
    expect(unintendedBreakingChanges(released, current, []).length).toBeGreaterThan(0);
  });

  it('lets a new catalogue code through in error responses, and finds a code taken away', () => {
    type WithErrors = { components: { schemas: { Error: { properties: { code: { enum: string[] } } } } } };
    const codes = (document: OpenApiDocument) => (document as unknown as WithErrors).components.schemas.Error.properties.code.enum;
    const grown = structuredClone(released);
    codes(grown).splice(3, 0, 'SOMETHING_NEW');
    expect(unintendedBreakingChanges(released, grown, [])).toEqual([]);
    const shrunk = structuredClone(released);
    codes(shrunk).splice(3, 1);
    expect(unintendedBreakingChanges(released, shrunk, []).map((c) => c.path).join()).toContain('Error/properties/code/enum');
  });

  it('lets an added optional field through', () => {
    const current = structuredClone(released);
    statsSchema(current).properties.extra = { type: 'string' };
    expect(unintendedBreakingChanges(released, current, [])).toEqual([]);
  });
});
