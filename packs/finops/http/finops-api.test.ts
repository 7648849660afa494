import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useApi } from '../../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { IngestPipeline } from '../../../platform/ingest/index.ts';
import { simulate, simulatedBillCsv } from '../index.ts';
import { buildProject } from '../../../platform/transforms/index.ts';
import { MODEL_GENERATORS } from '../../index.ts';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const OPERATOR = 'summit-internal';

describe.each(TEST_ENGINES)('FinOps API on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db, { transforms: { modelsDir: MODELS, targetDir: '/tmp/companyos-finops-api-target', operatorTenant: OPERATOR } });
  const auth = async (tenant: string, role: 'reader' | 'operator' = 'reader') => ({ authorization: `Bearer ${await server.api.token(tenant, role)}` });

  async function importAndBuild() {
    const simulation = simulate({ tenants: 3, days: 5, seed: 3, start: new Date('2026-10-01T00:00:00Z'), eventLoss: 0 });
    await new IngestPipeline(db.warehouse).ingest(simulation.events, { channel: 'file', submitter: OPERATOR });
    const csv = simulatedBillCsv(simulation.bill);
    const upload = await server.api.app.inject({
      method: 'POST', url: '/v1/finops/bills?file_name=bill.csv', payload: csv,
      headers: { ...(await auth(OPERATOR, 'operator')), 'content-type': 'text/csv' },
    });
    expect(upload.statusCode).toBe(200);
    expect(upload.json()).toMatchObject({ format: 'focus', rows_parked: 0, already_imported: false });
    await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: '/tmp/companyos-finops-api-target', select: ['+tag:finops'], tenant: OPERATOR, trigger: 'api' });
    return simulation;
  }

  it('imports a bill over HTTP, then serves reconciliation, attribution and tenant cost as JSON and CSV', async () => {
    await importAndBuild();
    const reconciliation = await server.api.app.inject({ url: '/v1/finops/reconciliation?period=2026-10', headers: await auth(OPERATOR) });
    expect(reconciliation.statusCode).toBe(200);
    const [invoice] = reconciliation.json().invoices;
    expect(invoice).toMatchObject({ billing_account_id: 'sim-billing-001', provider: 'SimCloud', invoice_id: 'SIM-202610', currency: 'USD', balanced: true });
    expect(invoice.billed_total).toMatch(/^\d+\.\d{10}$/);

    const csv = await server.api.app.inject({ url: '/v1/finops/reconciliation?period=2026-10', headers: { ...(await auth(OPERATOR)), accept: 'text/csv' } });
    expect(csv.headers['content-type']).toContain('text/csv');
    const [header, first] = csv.body.trim().split('\r\n');
    expect(header).toContain('billing_account_id,provider,invoice_id');
    expect(first).toContain('SIM-202610');

    const attribution = (await server.api.app.inject({ url: '/v1/finops/attribution?period=2026-10', headers: await auth(OPERATOR) })).json();
    expect(attribution.lines.map((l: { cost_tenant: string }) => l.cost_tenant)).toEqual(expect.arrayContaining(['sim-tenant-001', 'unallocated']));

    const cost = await server.api.app.inject({ url: '/v1/tenants/sim-tenant-001/cost?group_by=day&from=2026-10-01&to=2026-10-03', headers: await auth(OPERATOR) });
    expect(cost.json().lines.map((l: { day: string }) => l.day)).toEqual(['2026-10-01', '2026-10-02']);
    // The 0.1.0 spelling is still taken (deprecated); both spellings at once are refused.
    const deprecated = await server.api.app.inject({ url: '/v1/tenants/sim-tenant-001/cost?groupBy=day&from=2026-10-01&to=2026-10-03', headers: await auth(OPERATOR) });
    expect(deprecated.json()).toEqual(cost.json());
    const both = await server.api.app.inject({ url: '/v1/tenants/sim-tenant-001/cost?groupBy=day&group_by=pack', headers: await auth(OPERATOR) });
    expect([both.statusCode, both.json().code]).toEqual([400, 'BAD_REQUEST']);

    const again = await server.api.app.inject({ url: '/v1/finops/reconciliation?period=2026-13', headers: await auth(OPERATOR) });
    expect(again.statusCode).toBe(400);
  });

  it('refuses cross-tenant reads and non-operator imports, and a tenant never sees the operator\'s bills', async () => {
    await importAndBuild();
    const other = await server.api.app.inject({ url: '/v1/tenants/sim-tenant-001/cost', headers: await auth('acme') });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: 'POLICY_DENIED', reasons: ['other-tenants-cost-platform-only'] });
    const own = (await server.api.app.inject({ url: '/v1/finops/reconciliation', headers: await auth('acme') })).json();
    expect(own.invoices).toEqual([]);
    const upload = await server.api.app.inject({
      method: 'POST', url: '/v1/finops/bills', payload: 'BilledCost\n1\n', headers: { ...(await auth('acme')), 'content-type': 'text/csv' },
    });
    expect(upload.statusCode).toBe(403);
  });

  it('answers 409 before anything is built and 400 naming the file for a file that is no bill', async () => {
    const before = await server.api.app.inject({ url: '/v1/finops/attribution?period=2026-10', headers: await auth(OPERATOR) });
    expect(before.statusCode).toBe(409);
    expect(before.json().code).toBe('FINOPS_NOT_BUILT');
    const bad = await server.api.app.inject({
      method: 'POST', url: '/v1/finops/bills?file_name=people.csv', payload: 'name,age\nada,36\n',
      headers: { ...(await auth(OPERATOR, 'operator')), 'content-type': 'text/csv' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'BILL_FILE_INVALID' });
    expect(bad.json().message).toContain('people.csv: cannot tell the format');
  });
});

