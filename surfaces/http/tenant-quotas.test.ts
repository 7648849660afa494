import { describe, expect, it } from 'vitest';
import { parseQuotaConfig } from '../../platform/tenancy/index.ts';
import { useApi } from '../../test/support/api.ts';
import { useWarehouse } from '../../test/support/engines.ts';
import { TestClock } from '../../test/support/test-clock.ts';

describe('per-tenant quotas (COMPANYOS_TENANT_QUOTAS)', () => {
  const db = useWarehouse('duckdb');
  // The buckets refill on a clock the test moves: a slow machine's requests do not refill them meanwhile.
  const clock = new TestClock();
  const server = useApi(db, { tenantQuotas: parseQuotaConfig('requests=1000, acme:requests=5, ingest-events=100'), quotaClock: () => clock.now().getTime() });
  const event = (id: string, tenantid: string) => ({ specversion: '1.0', id, source: '/test', type: 't', tenantid, policyversion: 'v1', data: {} });
  const post = (token: string, payload: string) =>
    server.api.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents-batch+json' }, payload });
  const batch = (tenant: string, from: number, n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => event(`${tenant}-${from + i}`, tenant)));
  const storedOf = async (tenant: string) => Number((await db.warehouse.query('SELECT count(*) AS n FROM events WHERE tenant_id = ?', [tenant]))[0]!.n);

  it("refuses a tenant's requests past its rate with 429 and Retry-After, and leaves other tenants and public routes alone", async () => {
    const acme = await server.api.token('acme', 'operator');
    const globex = await server.api.token('globex', 'operator');
    const list = (token: string) => server.api.app.inject({ url: '/v1/events?limit=1', headers: { authorization: `Bearer ${token}` } });
    expect((await list(globex)).statusCode).toBe(200);
    // Asked at once: the bucket holds five, and refills one in 200 ms.
    const answers = await Promise.all(Array.from({ length: 8 }, () => list(acme)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const refused = answers.find((a) => a.statusCode === 429)!;
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toEqual({ code: 'TENANT_QUOTA_EXCEEDED', message: expect.stringContaining('acme may send 5 requests a second; try again in 1 s.'), retry_after_seconds: 1 });
    for (let i = 0; i < 20; i++) expect((await list(globex)).statusCode).toBe(200);
    expect((await server.api.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('admits a batch larger than the ingest rate once, then refuses whole batches — before reading them — until the debt has refilled', async () => {
    const acme = await server.api.token('globex', 'writer');
    const other = await server.api.token('initech', 'writer');
    expect((await post(acme, batch('globex', 0, 150))).statusCode).toBe(202);
    const refused = await post(acme, batch('globex', 150, 10));
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'TENANT_QUOTA_EXCEEDED', message: expect.stringContaining('globex may send 100 events a second; try again in 1 s.') });
    // Not JSON at all: read, it would be 400; refused before it is read, it is 429.
    const unread = await post(acme, '[{{{{ not json');
    expect([unread.statusCode, unread.json().code]).toEqual([429, 'TENANT_QUOTA_EXCEEDED']);
    // Another tenant's batch goes in meanwhile.
    expect((await post(other, batch('initech', 0, 50))).statusCode).toBe(202);
    expect([await storedOf('globex'), await storedOf('initech')]).toEqual([150, 50]);
    // Once the debt (50 events) and one more have refilled, the tenant sends again.
    clock.advance(600);
    expect((await post(acme, batch('globex', 150, 10))).statusCode).toBe(202);
    expect(await storedOf('globex')).toBe(160);
  });
});
