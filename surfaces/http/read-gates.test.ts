import { describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';

/**
 * Issue 15, item 2: the reads that were served to any token of the tenant are decided by the
 * policies too — parked events, lineage and report pages as reads, FinOps report pages as read_costs.
 */
describe.each(TEST_ENGINES)('Reads decided by the policies on %s', (engine) => {
  const db = useWarehouse(engine);
  const served = useApi(db);

  it('refuses quarantine, lineage and report pages to roles the policies do not let read them, with a logged decision', async () => {
    const { app, token } = served.api;
    const [partner, writer, reader] = await Promise.all([token('acme', 'partner'), token('acme', 'writer'), token('acme', 'reader')]);
    const get = async (who: string, url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${who}` } });

    for (const url of ['/v1/quarantine', '/v1/lineage?node=events', '/reports/usage']) {
      const refused = await get(partner, url);
      expect(refused.statusCode, `${url}: ${refused.body}`).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'POLICY_DENIED', decision_id: expect.any(String) });
    }
    expect((await get(writer, '/v1/quarantine')).statusCode).toBe(200);
    expect((await get(writer, '/reports/usage')).statusCode).toBe(200);

    // Cost pages are read_costs: a writer reads usage but not what the tenant's infrastructure costs.
    const costs = await get(writer, '/reports/finops/tenant-costs');
    expect(costs.statusCode, costs.body).toBe(403);
    expect(costs.json().code).toBe('POLICY_DENIED');
    expect((await get(writer, '/reports/finops/tenant-costs/by_service.csv')).statusCode).toBe(403);
    const page = await get(reader, '/reports/finops/tenant-costs');
    expect(page.statusCode, page.body.slice(0, 300)).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect((await get(reader, '/reports/finops/no-such-page')).statusCode).toBe(404);
  });
});
