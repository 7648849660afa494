import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../surfaces/http/index.ts';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { CompanyOsApiError, createCompanyOsClient, unwrap, type CloudEvent, type CompanyOsClient } from './index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';

/** The SDK against the real server (in-memory DuckDB) over loopback HTTP. */
describe('the TypeScript SDK', () => {
  const tokens = new TokenAuthority('sdk-test-secret-that-is-long-enough-for-hs256');
  let warehouse: DuckDBWarehouse;
  let app: FastifyInstance;
  let baseUrl: string;
  let acme: CompanyOsClient;

  beforeAll(async () => {
    warehouse = await DuckDBWarehouse.open(':memory:');
    await migratePlatform(warehouse);
    app = await buildServer({ warehouse, tokens, logLevel: 'silent' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
    acme = createCompanyOsClient({ baseUrl, token: () => tokens.mint({ tenant: 'acme', roles: ['writer'] }) });
  });

  afterAll(async () => {
    await app?.close();
    await warehouse?.close();
  });

  it('sends an event whose data is an object and reads it back, typed by the spec', async () => {
    // No cast: CloudEvent's extension attributes are scalars, but `data` may be any JSON value.
    const event: CloudEvent = {
      specversion: '1.0',
      id: 'sdk-1',
      source: 'urn:companyos:sdk-test',
      type: 'policy.decisions_total',
      time: '2026-11-20T12:00:00Z',
      tenantid: 'acme',
      policyversion: 'v7',
      plan: 'pro',
      data: { value: 1, labels: { route: '/v1/events' }, samples: [1, 2] },
    };
    const result = await unwrap(acme.POST('/v1/events', { body: [event] }));
    expect(result).toEqual({ accepted: 1, duplicates: 0, rejected: [] });

    const page = await unwrap(acme.GET('/v1/events', { params: { query: { limit: 10 } } }));
    expect(page.next_cursor).toBeNull();
    expect(page.events).toEqual([expect.objectContaining({ id: 'sdk-1', tenantid: 'acme', data: event.data })]);
  });

  it('throws the catalogue code and message of an error answer', async () => {
    const anonymous = createCompanyOsClient({ baseUrl });
    const refused = await unwrap(anonymous.GET('/v1/events')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CompanyOsApiError);
    expect(refused).toMatchObject({ status: 401, code: 'AUTH_MISSING_TOKEN', message: expect.any(String) });

    const invalid = createCompanyOsClient({ baseUrl, token: 'not-a-token' });
    await expect(unwrap(invalid.GET('/v1/events'))).rejects.toMatchObject({ status: 401, code: 'AUTH_INVALID_TOKEN' });
  });

  it('answers /healthz without a token', async () => {
    expect(await unwrap(createCompanyOsClient({ baseUrl }).GET('/healthz'))).toEqual({ status: 'ok' });
  });
});
