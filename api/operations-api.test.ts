import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../test/support/api.ts';
import { engineHarness, TEST_ENGINES, type EngineHarness } from '../test/support/engines.ts';
import { cloudEvent } from '../test/support/events.ts';
import type { Warehouse } from '../warehouse/index.ts';
import { errorCatalogue } from './errors.ts';

describe.each(TEST_ENGINES)('operations API on %s', (engine) => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let api: ApiHarness;

  beforeEach(async () => {
    harness = await engineHarness(engine);
    warehouse = await harness.open();
    api = await apiHarness(warehouse);
  });
  afterEach(async () => {
    await api.app.close();
    await warehouse.close();
    await harness.cleanup();
  });

  it('answers health and readiness without a token', async () => {
    expect((await api.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await api.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', warehouse: engine, schema_version: 1 });
  });

  it('is not ready once the warehouse is gone', async () => {
    await warehouse.close();
    const ready = await api.app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().code).toBe('WAREHOUSE_UNAVAILABLE');
  });

  it('counts requests, latency and event outcomes in Prometheus text', async () => {
    await api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${await api.token('acme')}`, 'content-type': 'application/json' },
      payload: JSON.stringify([cloudEvent({ id: 'a' }), cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', type: undefined })]),
    });
    const metrics = await api.app.inject('/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    const text = metrics.body;
    expect(text).toContain('companyos_events_total{outcome="accepted",channel="http"} 1');
    expect(text).toContain('companyos_events_total{outcome="duplicate",channel="http"} 1');
    expect(text).toContain('companyos_events_total{outcome="rejected",channel="http"} 1');
    expect(text).toMatch(/companyos_http_requests_total\{method="POST",route="\/v1\/events",status="202"\} 1/);
    expect(text).toMatch(/companyos_http_request_duration_seconds_bucket\{le="[\d.]+",method="POST",route="\/v1\/events"\}/);
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const doc = (await api.app.inject('/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/events', '/v1/events/stats', '/v1/quarantine', '/healthz', '/readyz', '/metrics']),
    );
    expect(doc.components.schemas.CloudEvent.required).toEqual(expect.arrayContaining(['tenantid', 'policyversion']));
    expect(doc.paths['/v1/events'].post.responses['202']).toBeDefined();
    expect(doc.paths['/v1/events'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['type', 'from', 'to', 'limit', 'cursor']),
    );
  });

  it('answers an unknown route with the catalogue shape', async () => {
    const response = await api.app.inject('/v1/nope');
    expect(response.statusCode).toBe(401);
    const open = await api.app.inject({ url: '/v1/nope', headers: { authorization: `Bearer ${await api.token('acme')}` } });
    expect(open.statusCode).toBe(404);
    expect(open.json().code).toBe('NOT_FOUND');
  });
});

describe('error catalogue', () => {
  it('gives every code a status or marks it per-event, and a full sentence', () => {
    const catalogue = errorCatalogue();
    expect(new Set(catalogue.map((e) => e.code)).size).toBe(catalogue.length);
    for (const entry of catalogue) expect(entry.message).toMatch(/^[A-Z].*[.)]$/);
  });
});
