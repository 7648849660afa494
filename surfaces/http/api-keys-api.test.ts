import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../../test/support/api.ts';
import { engineHarness, type EngineHarness } from '../../test/support/engines.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { TENANT_ZERO } from '../../platform/tenancy/index.ts';
import { buildServer } from './server.ts';

const event = (id: string, tenantid: string) => ({ specversion: '1.0', id, source: 'urn:test', type: 'api.requests_total', tenantid, policyversion: 'v1', data: { n: 1 } });

describe('API keys: scoped machine credentials with expiry, rotation with an overlap and immediate revocation', () => {
  let harness: EngineHarness;
  let warehouse: Warehouse;
  let app: FastifyInstance;
  let clock = new Date();
  const tokens = new TokenAuthority(TEST_SECRET);
  const admins: Record<string, string> = {};
  const call = async (credential: string, method: string, url: string, payload?: unknown) => {
    const response = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${credential}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: response.body ? response.json() : {} };
  };
  const issue = async (tenant: string, body: Record<string, unknown>) => {
    const issued = await call(admins[tenant]!, 'POST', '/v1/api-keys', body);
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    return issued.body as { key: string; key_id: string };
  };

  beforeAll(async () => {
    harness = await engineHarness('duckdb');
    warehouse = await harness.open();
    app = await buildServer({ warehouse, tokens, logLevel: 'silent', identity: { providers: [], now: () => clock } });
    for (const tenant of ['acme', 'globex', TENANT_ZERO]) admins[tenant] = await tokens.mint({ tenant, roles: ['admin'], subject: 'admin' });
  });
  afterAll(async () => {
    await app?.close();
    await warehouse?.close();
    await harness?.cleanup();
  });

  it('does what its scopes name and nothing else: ingest posts events, read reads, neither writes anything else', async () => {
    const ingest = await issue('acme', { name: 'exporter', scopes: ['ingest'] });
    expect(ingest.key).toMatch(/^cosk_[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}$/);
    expect((await call(ingest.key, 'POST', '/v1/events', event('k-1', 'acme'))).status).toBe(202);
    expect(await call(ingest.key, 'GET', '/v1/events/stats')).toMatchObject({ status: 403, body: { code: 'API_KEY_SCOPE_FORBIDDEN' } });
    expect((await call(ingest.key, 'POST', '/v1/entities', { type: 'Asset', name: 'x' })).status).toBe(403);
    const read = await issue('acme', { name: 'dashboard', scopes: ['read'] });
    expect(await call(read.key, 'GET', '/v1/events/stats')).toMatchObject({ status: 200, body: { tenant: 'acme' } });
    expect((await call(read.key, 'POST', '/v1/events', event('k-2', 'acme'))).status).toBe(403);
    // Listed without secrets; another tenant sees none of them.
    const listed = await call(admins.acme!, 'GET', '/v1/api-keys');
    expect(listed.body.keys.map((key: { key_id: string }) => key.key_id).sort()).toEqual([ingest.key_id, read.key_id].sort());
    expect(JSON.stringify(listed.body)).not.toContain(ingest.key.split('.')[1]);
    expect((await call(admins.globex!, 'GET', '/v1/api-keys')).body.keys).toEqual([]);
    expect(await call(admins.globex!, 'POST', `/v1/api-keys/${ingest.key_id}/revoke`)).toMatchObject({ status: 404, body: { code: 'API_KEY_NOT_FOUND' } });
    // A key cannot issue keys, and a reader cannot either.
    expect((await call(read.key, 'POST', '/v1/api-keys', { name: 'more', scopes: ['read'] })).status).toBe(403);
    expect((await call(await tokens.mint({ tenant: 'acme', roles: ['reader'] }), 'POST', '/v1/api-keys', { name: 'more', scopes: ['read'] })).status).toBe(403);
  });

  it('a connector key writes for the tenants it names only', async () => {
    const connector = await issue(TENANT_ZERO, { name: 'acme-collector', scopes: ['connector'], tenants: ['acme'] });
    expect((await call(connector.key, 'POST', '/v1/events', event('c-1', 'acme'))).status).toBe(202);
    expect(await call(connector.key, 'POST', '/v1/events', event('c-2', 'globex'))).toMatchObject({ status: 403, body: { code: 'EVENT_TENANT_NOT_GRANTED' } });
    expect((await call(admins.acme!, 'POST', '/v1/api-keys', { name: 'x', scopes: ['read'], tenants: ['globex'] })).body.code).toBe('API_KEY_INVALID');
  });

  it('rotates with an overlap (both secrets work until it ends), revokes at once, and expires', async () => {
    const key = await issue('acme', { name: 'rotating', scopes: ['read'], expires_in_days: 30 });
    const rotated = await call(admins.acme!, 'POST', `/v1/api-keys/${key.key_id}/rotate`, { overlap_minutes: 10 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.previous_valid_until).not.toBeNull();
    expect((await call(key.key, 'GET', '/v1/events/stats')).status).toBe(200);
    expect((await call(rotated.body.key, 'GET', '/v1/events/stats')).status).toBe(200);
    clock = new Date(clock.getTime() + 11 * 60_000);
    expect((await call(key.key, 'GET', '/v1/events/stats')).status).toBe(401);
    expect((await call(rotated.body.key, 'GET', '/v1/events/stats')).status).toBe(200);

    expect((await call(admins.acme!, 'POST', `/v1/api-keys/${key.key_id}/revoke`)).body.status).toBe('revoked');
    expect(await call(rotated.body.key, 'GET', '/v1/events/stats')).toMatchObject({ status: 401, body: { code: 'API_KEY_REVOKED' } });
    expect((await call(admins.acme!, 'POST', `/v1/api-keys/${key.key_id}/rotate`, {})).body.code).toBe('API_KEY_INVALID');

    const short = await issue('acme', { name: 'short', scopes: ['read'], expires_in_days: 1 });
    clock = new Date(clock.getTime() + 86_400_000 + 1000);
    expect(await call(short.key, 'GET', '/v1/events/stats')).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_EXPIRED' } });
    // Forgeries: another secret for a real id, a made-up id.
    expect((await call(`${short.key.slice(0, -4)}AAAA`, 'GET', '/v1/events/stats')).status).toBe(401);
    expect((await call(`cosk_${'A'.repeat(12)}.${'B'.repeat(43)}`, 'GET', '/v1/events/stats')).status).toBe(401);
  });
});
