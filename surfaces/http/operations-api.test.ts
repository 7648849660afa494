import { describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { errorCatalogue } from './kit/errors.ts';

describe.each(TEST_ENGINES)('operations API on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  it('answers health and readiness without a token', async () => {
    expect((await server.api.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await server.api.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', warehouse: engine, schema_version: expect.any(Number) });
    expect(ready.json().schema_version).toBe(7);
  });

  it('is not ready once the warehouse is gone', async () => {
    await db.warehouse.close();
    const ready = await server.api.app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().code).toBe('WAREHOUSE_UNAVAILABLE');
  });

  it('counts requests, latency and event outcomes in Prometheus text', async () => {
    await server.api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${await server.api.token('acme')}`, 'content-type': 'application/json' },
      payload: JSON.stringify([cloudEvent({ id: 'a' }), cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', type: undefined })]),
    });
    const metrics = await server.api.app.inject('/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    const text = metrics.body;
    expect(text).toContain('companyos_events_total{outcome="accepted",channel="http"} 1');
    expect(text).toContain('companyos_events_total{outcome="duplicate",channel="http"} 1');
    expect(text).toContain('companyos_events_total{outcome="rejected",channel="http"} 1');
    expect(text).toMatch(/companyos_http_requests_total\{method="POST",route="\/v1\/events",status="202"\} 1/);
    expect(text).toMatch(/companyos_http_request_duration_seconds_bucket\{le="[\d.]+",method="POST",route="\/v1\/events"\}/);
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const doc = (await server.api.app.inject('/openapi.json')).json();
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
    const response = await server.api.app.inject('/v1/nope');
    expect(response.statusCode).toBe(401);
    const open = await server.api.app.inject({ url: '/v1/nope', headers: { authorization: `Bearer ${await server.api.token('acme')}` } });
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
