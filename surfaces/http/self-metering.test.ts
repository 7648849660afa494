import { describe, expect, it } from 'vitest';
import { apiHarness } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';

describe.each(TEST_ENGINES)('the API measuring itself on %s', (engine) => {
  const db = useWarehouse(engine);

  it('records each /v1 request as an api.requests_total event in the caller\'s tenant, with its flow, status and latency', async () => {
    const api = await apiHarness(db.warehouse, { selfMetering: { sample: 1 } });
    const alice = await api.principal('alice', 'acme', 'operator');
    const created = await api.app.inject({ method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${alice}` }, payload: { type: 'Asset', name: 'a' } });
    expect(created.statusCode).toBe(201);
    const refused = await api.app.inject({ method: 'GET', url: `/v1/entities/${created.json().id}`, headers: { authorization: `Bearer ${await api.principal('pat', 'acme', 'partner')}` } });
    // A partner sees public records only (another tenant's id would answer 404, as one that does not exist).
    expect(refused.statusCode).toBe(403);
    await api.app.inject({ url: '/healthz' });
    await api.app.close();

    const rows = await db.warehouse.query<{ tenant_id: string; flow_type: string; data: string }>(
      "SELECT tenant_id, flow_type, data FROM events WHERE type = 'api.requests_total' ORDER BY tenant_id, flow_type",
    );
    expect(rows.map((r) => [r.tenant_id, r.flow_type])).toEqual([
      ['acme', 'GET /v1/entities/:id'],
      ['acme', 'create-entity'],
    ]);
    const [denied, create] = rows.map((r) => JSON.parse(r.data));
    expect(create).toMatchObject({ route: '/v1/entities', method: 'POST', status: 201, outcome: 'ok', sample_rate: 1 });
    expect(create.latency_ms).toBeGreaterThan(0);
    // A refusal is the platform working: it does not spend the error budget.
    expect(denied).toMatchObject({ status: 403, outcome: 'ok' });
  });

  it('records nothing when sampling is off', async () => {
    const api = await apiHarness(db.warehouse, { selfMetering: { sample: 0 } });
    await api.app.inject({ method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${await api.principal('alice', 'acme', 'operator')}` }, payload: { type: 'Asset', name: 'a' } });
    await api.app.close();
    expect(await db.warehouse.query("SELECT id FROM events WHERE type = 'api.requests_total'")).toEqual([]);
  });
});
