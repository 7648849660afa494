import type { FastifyError } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { apiHarness } from '../../test/support/api.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { engineUnavailable, TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import type { EngineName } from '../../kernel/warehouse/index.ts';
import { API_ERRORS } from './kit/errors.ts';
import { toDomainError } from './to-domain-error.ts';

/**
 * Drives every operation of /openapi.json with what a hostile or careless client
 * sends: JSON nested 10,000 deep, numbers JSON turns into Infinity or that overflow
 * 64 bits, negative and huge parameters, wrong types. The platform must answer each
 * with a catalogued 4xx (or a success), never a 5xx.
 */

const OPERATOR = 'summit-internal';
const DEEP = 10_000;
const DEEP_OBJECT = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;
const DEEP_ARRAY = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;

/** Raw JSON texts put in place of each value of a plausible body (JSON.parse reads 1e309 as Infinity). */
const HOSTILE_JSON = [
  '1e309', '-1e309', '1e400', '-1', '0', '18446744073709551616', '-9223372036854775809', '1.5e-400', '1.5',
  '"Infinity"', '"NaN"', '"-1"', '"1e309"', '"18446744073709551616"', `"${'9'.repeat(400)}"`, '""', `"${'x'.repeat(20_000)}"`,
  '"\\u0000"', '"\\ud800"', '[]', '[1e309]', '{}', '{"a":1e309}', 'null', 'true', DEEP_ARRAY,
];
/** Query and path parameter values. */
const HOSTILE_PARAMS = [
  'Infinity', '-Infinity', 'NaN', '1e309', '1e400', '-1', '0', '1.5', '18446744073709551616', '-9223372036854775809', '9'.repeat(400),
  'abc', '', '%00', '%ff', '%2e%2e%2f', `x${'y'.repeat(5000)}`, '0x10', ' 1',
];
/** Whole bodies of the wrong shape. */
const HOSTILE_BODIES = ['1e309', '"text"', 'null', '[]', '[{}]', '[1e309]', '{}', DEEP_OBJECT, DEEP_ARRAY, `{"a":${DEEP_ARRAY}}`];

/** Bodies the schema alone does not describe (domain-validated `{type: object}` bodies). */
const SAMPLE_BODIES: Record<string, unknown> = {
  'POST /v1/events': cloudEvent({ id: 'hostile', tenantid: OPERATOR, data: { value: 1 } }),
  'POST /v1/entities': { type: 'Asset', name: 'hostile', data: { size: 1 }, data_class: 'internal' },
  'POST /v1/entities:batch': { entities: [{ id: 'batch-1', type: 'Person', name: 'b' }], edges: [{ type: 'OWNS', from: 'batch-1', to: 'ENTITY' }] },
  'PATCH /v1/entities/{id}': { name: 'renamed', data: { size: 2 } },
  'POST /v1/edges': { type: 'OWNS', from: 'SUBJECT', to: 'ENTITY' },
  'POST /v1/entities/{id}/entitlements': { subject_id: 'SUBJECT', entitlement: 'read', expires_at: '2030-01-01T00:00:00Z' },
  'POST /v1/approvals': { entity_id: 'ENTITY', action: 'delete', rationale: { category: 'incident', text: 'hostile' } },
  'POST /v1/provenance/evidence': { items: [{ kind: 'transcript', name: 'call.txt', content: 'aGVsbG8=' }] },
  'POST /v1/policy/simulate': [{ request: { principal: 'CompanyOS::User::"x"', action: 'CompanyOS::Action::"read"', resource: 'CompanyOS::Entity::"e"' }, decision: 'allow' }],
  'POST /v1/finops/pricing:simulate': { period: '2026-10', tier_moves: { acme: 'gold' }, excluded_packs: ['ai'] },
  'POST /v1/finops/simulations/true-costs': { simulation_id: 's', rows: [{ tenant: 'acme', period: '2026-10', currency: 'USD', cost: '1.5' }] },
  'POST /v1/transforms/build': { mode: 'test', select: ['no_such_model'] },
};
/** Plausible query values for each parameter name; the rest get a value of their schema's type. */
const SAMPLE_QUERY: Record<string, string> = { period: '2026-10', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', node: 'events', meter: 'policy.decisions_total', fields: 'action' };

interface Operation {
  method: string;
  path: string;
  parameters: { in: 'query' | 'path'; name: string; required?: boolean; schema: Schema }[];
  body?: Schema;
}
type Schema = { type?: string | string[]; enum?: unknown[]; default?: unknown; format?: string; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[] };
interface Probe { label: string; url: string; method: string; body?: string | Buffer; contentType?: string }

function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: Operation['parameters']; requestBody?: { content: Record<string, { schema: Schema }> } }>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
    })),
  );
}

function sampleOf(schema: Schema | undefined, name = ''): unknown {
  if (!schema) return 'x';
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const alternative = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (alternative) return sampleOf(alternative, name);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object') return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, sampleOf(value, key)]));
  if (type === 'array') return [sampleOf(schema.items)];
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return true;
  if (schema.format === 'date-time') return '2026-10-01T00:00:00Z';
  if (schema.format === 'date') return '2026-10-01';
  return SAMPLE_QUERY[name] ?? 'x';
}

/** Every path to a value inside `value` (arrays: their first element), the value itself first. */
function leavesOf(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  const inner = Array.isArray(value) ? (value.length ? leavesOf(value[0], [...path, 0]) : [])
    : typeof value === 'object' && value !== null ? Object.entries(value).flatMap(([key, v]) => leavesOf(v, [...path, key]))
    : [];
  return [path, ...inner];
}

/** `value` with the member at `path` replaced by the raw JSON text `raw`. */
function withRaw(value: unknown, path: (string | number)[], raw: string): string {
  if (!path.length) return raw;
  const marker = '__HOSTILE_VALUE__';
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = marker;
  return JSON.stringify(copy).replace(`"${marker}"`, () => raw);
}

function probesOf(op: Operation, ids: Record<string, string>): Probe[] {
  const key = `${op.method} ${op.path}`;
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const fill = (overrides: Record<string, string> = {}) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(overrides[name] ?? ids[name === 'tenant' ? 'TENANT' : 'ENTITY']!));
  const baseQuery = Object.fromEntries(queryParams.filter((p) => p.required).map((p) => [p.name, String(sampleOf(p.schema, p.name))]));
  const url = (path: string, query: Record<string, string> = baseQuery, raw = '') => {
    const text = [new URLSearchParams(query).toString(), raw].filter(Boolean).join('&');
    return text ? `${path}?${text}` : path;
  };
  const probes: Probe[] = [];
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';

  for (const param of pathParams) {
    for (const value of HOSTILE_PARAMS) probes.push({ label: `path ${param.name}=${value.slice(0, 20)}`, method: op.method, url: url(fill({ [param.name]: value })) });
  }
  for (const param of queryParams) {
    const others = Object.fromEntries(Object.entries(baseQuery).filter(([name]) => name !== param.name));
    for (const value of HOSTILE_PARAMS) {
      // Raw, so that %00 and friends arrive as sent.
      probes.push({ label: `query ${param.name}=${value.slice(0, 20)}`, method: op.method, url: url(fill(), others, `${param.name}=${value}`) });
    }
    probes.push({ label: `query ${param.name} twice`, method: op.method, url: url(fill(), baseQuery, `${param.name}=1&${param.name}=2`) });
  }
  probes.push({ label: 'unknown query parameter', method: op.method, url: url(fill(), baseQuery, 'limit=Infinity&depth=1e309&zzz=1') });

  // Deep JSON goes to every operation: the parser runs before the route decides it wants no body.
  for (const [name, text] of [['deep object', DEEP_OBJECT], ['deep array', DEEP_ARRAY]] as const) {
    for (const contentType of ['application/json', 'application/cloudevents+json', 'application/cloudevents-batch+json']) {
      if (!hasBody && contentType !== 'application/json') continue;
      probes.push({ label: `${name} as ${contentType}`, method: op.method, url: url(fill()), body: text, contentType });
    }
  }
  if (!hasBody) return probes;
  if (op.body || SAMPLE_BODIES[key]) {
    const sample = SAMPLE_BODIES[key] ?? sampleOf(op.body);
    const text = JSON.stringify(sample).replaceAll('ENTITY', ids.ENTITY!).replaceAll('SUBJECT', ids.SUBJECT!);
    const base = JSON.parse(text) as unknown;
    for (const raw of HOSTILE_BODIES) probes.push({ label: `body ${raw.slice(0, 20)}`, method: op.method, url: url(fill()), body: raw, contentType: 'application/json' });
    for (const leaf of leavesOf(base).slice(1)) {
      for (const raw of HOSTILE_JSON) {
        probes.push({ label: `body ${leaf.join('.')}=${raw.slice(0, 20)}`, method: op.method, url: url(fill()), body: withRaw(base, leaf, raw), contentType: 'application/json' });
      }
    }
  }
  if (key === 'POST /v1/events') {
    const line = JSON.stringify(SAMPLE_BODIES[key]);
    probes.push({ label: 'ndjson with a deep line', method: op.method, url: url(fill()), body: `${line}\n${DEEP_OBJECT}\n${DEEP_ARRAY}\n`, contentType: 'application/x-ndjson' });
  }
  if (key === 'POST /v1/finops/bills') {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    for (const contentType of ['text/csv', 'application/octet-stream', 'application/vnd.apache.parquet']) {
      probes.push({ label: `garbage bytes as ${contentType}`, method: op.method, url: url(fill()), body: garbage, contentType });
      probes.push({ label: `deep JSON as ${contentType}`, method: op.method, url: url(fill()), body: DEEP_OBJECT, contentType });
    }
    probes.push({ label: 'bill of huge numbers', method: op.method, url: url(fill(), { file_name: 'huge.csv' }), body: `BilledCost,EffectiveCost,ChargePeriodStart\n1e309,${'9'.repeat(400)},2026-10-01\n-1,18446744073709551616,NaN\n`, contentType: 'text/csv' });
  }
  return probes;
}

/**
 * DuckDB takes every probe; ClickHouse (slower per call) takes those that bind
 * the request's values into warehouse reads: query and path parameters.
 */
const PROBES_ON: Record<EngineName, (probe: Probe) => boolean> = {
  duckdb: () => true,
  clickhouse: (probe) => probe.label.startsWith('query ') || probe.label.startsWith('path '),
};

describe.each(TEST_ENGINES)('hostile input on %s: every route answers 4xx with a code, never 5xx', (engine) => {
  const db = useWarehouse(engine);
  let targetDir: string;
  beforeEach(async () => {
    targetDir = await mkdtemp(join(tmpdir(), 'companyos-hostile-'));
    return () => rm(targetDir, { recursive: true, force: true });
  });

  it.runIf(!engineUnavailable(engine))('drives every operation of /openapi.json', { timeout: 180_000 }, async () => {
    const api = await apiHarness(db.warehouse, { transforms: { modelsDir: 'models', targetDir, operatorTenant: OPERATOR } });
    onTestFinished(() => api.app.close());
    await api.app.ready();
    const token = await api.principal('hostile-admin', OPERATOR, 'admin', 'operator');
    const make = async (name: string) =>
      (await api.app.inject({ method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${token}` }, payload: { type: 'Asset', name } })).json().id as string;
    const ids = { ENTITY: await make('entity'), SUBJECT: await make('subject'), TENANT: OPERATOR };

    const operations = operationsOf(api.app.swagger() as never);
    expect(operations.length).toBeGreaterThan(30);
    const failures: string[] = [];
    let sent = 0;
    for (const op of operations) {
      for (const probe of probesOf(op, ids).filter(PROBES_ON[engine])) {
        const response = await api.app.inject({
          method: probe.method as 'GET',
          url: probe.url,
          headers: { authorization: `Bearer ${token}`, ...(probe.contentType ? { 'content-type': probe.contentType } : {}) },
          ...(probe.body !== undefined ? { payload: probe.body } : {}),
        });
        sent++;
        const where = `${op.method} ${op.path} [${probe.label}] → ${response.statusCode}`;
        if (response.statusCode >= 500) failures.push(`${where} ${response.body.slice(0, 300)}`);
        else if (response.statusCode >= 400) {
          let body: { code?: string; message?: unknown };
          try {
            body = response.json();
          } catch {
            failures.push(`${where} not JSON: ${response.body.slice(0, 100)}`);
            continue;
          }
          if (!body.code || !(body.code in API_ERRORS) || typeof body.message !== 'string' || !body.message) {
            failures.push(`${where} uncatalogued: ${response.body.slice(0, 200)}`);
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(engine === 'duckdb' ? 3000 : 600);
    expect(failures).toEqual([]);
  });

  it.runIf(!engineUnavailable(engine))('answers a value the engine refuses as 400 VALUE_OUT_OF_RANGE, and only an engine that is down as 503', async () => {
    const refusal = await db.warehouse.query(engine === 'duckdb' ? 'SELECT CAST(? AS BIGINT) AS n' : 'SELECT toInt64(?) AS n', ['18446744073709551616x']).catch((e: unknown) => e);
    const missing = await db.warehouse.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect([toDomainError(refusal as FastifyError).code, toDomainError(missing as FastifyError).code]).toEqual(['VALUE_OUT_OF_RANGE', 'WAREHOUSE_UNAVAILABLE']);
  });
});
