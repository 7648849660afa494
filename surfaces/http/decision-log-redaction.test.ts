import { beforeEach, describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';

interface Entry {
  decision_id: string;
  input: { principal: string; resource: string; context: Record<string, unknown> };
  result: { decision: string; reasons: string[] };
  tenant: string;
  resource_tenant: string;
  trace_id: string;
  masked: string[];
}

/** Issue 15, item 6: decision log entries about another tenant's side show only the decision and its reasons. */
describe.each(TEST_ENGINES)('Decision log across tenants on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);
  let acmeAdmin: string;
  let acmeWriter: string;
  let globexAdmin: string;

  beforeEach(async () => {
    acmeAdmin = await server.api.principal('ada', 'acme', 'admin');
    acmeWriter = await server.api.principal('mallory', 'acme', 'writer', 'reader');
    globexAdmin = await server.api.principal('gus', 'globex', 'admin');
  });

  const decisions = async (token: string, query = '') =>
    (await server.api.app.inject({ url: `/v1/policy/decisions${query}`, headers: { authorization: `Bearer ${token}` } })).json().decisions as Entry[];

  /** acme's writer tries globex's cost and to write globex's events: two denials about globex's resources. */
  async function attempts(): Promise<string[]> {
    const cost = await server.api.app.inject({ url: '/v1/tenants/globex/cost', headers: { authorization: `Bearer ${acmeWriter}` } });
    const events = await server.api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${acmeWriter}`, 'content-type': 'application/cloudevents-batch+json' },
      payload: [{ specversion: '1.0', id: 'x', source: '/s', type: 't', tenantid: 'globex', policyversion: 'v1' }],
    });
    expect([cost.statusCode, events.statusCode]).toEqual([403, 403]);
    return [cost.json().decision_id, events.json().decision_id];
  }

  it("shows the resource's tenant the decision and its reasons, never who tried", async () => {
    const ids = await attempts();
    const seen = (await decisions(globexAdmin)).filter((d) => ids.includes(d.decision_id));
    expect(seen).toHaveLength(2);
    for (const entry of seen) {
      expect(entry.result.decision).toBe('deny');
      expect(entry.result.reasons.length).toBeGreaterThan(0);
      expect(entry).toMatchObject({ tenant: '(redacted)', trace_id: '(redacted)', resource_tenant: 'globex', input: { principal: '(redacted)' } });
      expect(entry.masked).toEqual(expect.arrayContaining(['/input/principal', '/tenant', '/trace_id']));
      expect(JSON.stringify(entry)).not.toMatch(/mallory|acme/);
    }
    expect(seen.map((d) => d.input.resource).sort()).toEqual(['Events/events/globex', 'TenantCost/cost/globex']);
    // Filtering by another tenant's principal finds nothing (no oracle for who tried).
    expect(await decisions(globexAdmin, '?principal=acme/mallory')).toEqual([]);
  });

  it("shows the caller its own attempt and reasons, never the other tenant's resource or its attributes", async () => {
    const ids = await attempts();
    const seen = (await decisions(acmeAdmin)).filter((d) => ids.includes(d.decision_id));
    expect(seen).toHaveLength(2);
    for (const entry of seen) {
      expect(entry).toMatchObject({ tenant: 'acme', resource_tenant: '(redacted)', input: { principal: 'acme/mallory', resource: '(redacted)', context: { resource: '(redacted)' } } });
      expect(entry.result.decision).toBe('deny');
      expect(entry.masked).toEqual(expect.arrayContaining(['/input/resource', '/input/context/resource', '/resource_tenant']));
      expect(JSON.stringify(entry.input)).not.toMatch(/globex|confidential|TenantCost|Events/);
    }
    expect(seen.map((d) => d.result.reasons).sort()).toEqual([['cross-tenant-ingest-needs-grant'], ['other-tenants-cost-platform-only']]);
    expect((await decisions(acmeAdmin, '?principal=acme/mallory')).map((d) => d.decision_id)).toEqual(expect.arrayContaining(ids));
  });

  it('keeps decisions within one tenant whole', async () => {
    const created = await server.api.app.inject({
      method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${acmeAdmin}` }, payload: { type: 'Asset', name: 'kept', data_class: 'confidential' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const [entry] = await decisions(acmeAdmin, '?action=create');
    expect(entry).toMatchObject({ tenant: 'acme', resource_tenant: 'acme', masked: [], input: { principal: 'acme/ada', context: { resource: { tenant: 'acme', data_class: 'confidential' } } } });
  });
});
