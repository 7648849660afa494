import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../../platform/ingest/index.ts';
import { TenantScope } from '../../../platform/tenancy/index.ts';
import { buildProject } from '../../../platform/transforms/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { cloudEvent } from '../../../test/support/events.ts';
import { MODEL_GENERATORS } from '../../index.ts';
import { importBillFile, readSimulationAccuracy, recordTrueCosts } from '../index.ts';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const OPERATOR = 'summit-internal';

/** One bill: API-gateway cost (split by calls), control-plane cost (split evenly) and a row tagged for globex. */
const BILL = [
  'BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,BilledCost,EffectiveCost,BillingCurrency,Tags',
  '2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-03T00:00:00Z,2026-10-04T00:00:00Z,Usage,API Gateway,100.00,100.00,USD,"{""shared"":""api-gateway""}"',
  '2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-03T00:00:00Z,2026-10-04T00:00:00Z,Usage,Kubernetes,90.00,90.00,USD,"{""shared"":""control-plane""}"',
  '2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-03T00:00:00Z,2026-10-04T00:00:00Z,Usage,Compute,50.00,50.00,USD,"{""tenant"":""globex""}"',
  '',
].join('\n');

const calls = (tenant: string, count: number) =>
  Array.from({ length: count }, (_, i) => cloudEvent({ id: `${tenant}-${i}`, tenantid: tenant, type: 'api.requests_total', time: '2026-10-03T12:00:00Z', data: { route: '/v1/x', status_class: '2xx' } }));

describe.each(TEST_ENGINES)('bills of several owners on %s', (engine) => {
  const db = useWarehouse(engine);

  it("splits the operator's bill over every tenant, another owner's over its own usage only: no line names another tenant", async () => {
    await new IngestPipeline(db.warehouse).ingest([...calls('acme', 100), ...calls('globex', 300)], { channel: 'file', submitter: OPERATOR });
    const dir = await mkdtemp(join(tmpdir(), 'companyos-bill-owners-'));
    await writeFile(join(dir, 'bill.csv'), BILL);
    for (const owner of [OPERATOR, 'acme']) expect((await importBillFile(db.warehouse, join(dir, 'bill.csv'), { tenant: owner })).rows_parked).toBe(0);
    // acme's made-up truth about globex, which acme's summary must not be able to check against globex's attribution.
    await recordTrueCosts(db.warehouse, 'acme', 'guess-1', [{ tenant: 'globex', period: '2026-10', currency: 'USD', cost: '1.00' }]);
    const report = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: join(dir, 'target'), select: ['+tag:finops'], tenant: OPERATOR, trigger: 'cli' });
    expect(report.results.filter((r) => r.status !== 'success').map((r) => `${r.model}: ${r.message}`)).toEqual([]);

    const allocation = async (owner: string) => (await db.warehouse.query(
      `SELECT rule, allocation, cost_tenant, sum(effective_cost) AS cost FROM finops_cost_allocation WHERE tenant_id = '${owner}'
        GROUP BY rule, allocation, cost_tenant ORDER BY rule, cost_tenant`,
    )).map((r) => `${r.rule} ${r.allocation} ${r.cost_tenant || '-'} ${Number(r.cost)}`);
    expect(await allocation(OPERATOR)).toEqual([
      'api-gateway shared acme 25',
      'api-gateway shared globex 75',
      'control-plane shared acme 45',
      'control-plane shared globex 45',
      'tenant-tag direct globex 50',
    ]);
    // Before: api-gateway 25 (globex's 300 calls showed), control-plane 45 (another tenant was active), globex's 50 named.
    expect(await allocation('acme')).toEqual([
      ' unallocated - 50',
      'api-gateway shared acme 100',
      'control-plane shared acme 90',
    ]);
    const unitCosts = await db.warehouse.query("SELECT tenant_id, unit_cost FROM finops_unit_costs WHERE rule = 'api-gateway' ORDER BY tenant_id");
    expect(unitCosts.map((r) => [r.tenant_id, Number(r.unit_cost)])).toEqual([['acme', 1], [OPERATOR, 0.25]]);
    const accuracy = await readSimulationAccuracy(new TenantScope(db.warehouse, 'acme'));
    expect(accuracy?.absolute_error).toBe('1.0000000000');
  });
});
