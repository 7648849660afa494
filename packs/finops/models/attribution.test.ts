import { TenantScope } from '../../../platform/tenancy/index.ts';
import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readAttribution, readFinopsSummary, readReconciliation, readTenantCost, recordTrueCosts } from '../index.ts';
import { IngestPipeline } from '../../../platform/ingest/index.ts';
import { importBillFile, simulate, simulatedBillCsv } from '../index.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { buildProject } from '../../../platform/transforms/index.ts';
import { parseAllocationRules } from './allocation-rules.ts';
import { MODEL_GENERATORS } from '../../index.ts';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const SPEC_EXAMPLES = fileURLToPath(new URL('../../../test/data/focus-spec-examples/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../bills/fixtures/', import.meta.url));
const TENANT = 'summit-internal';

describe.each(TEST_ENGINES)('cost attribution on %s', (engine) => {
  const db = useWarehouse(engine);
  const build = async () => {
    const target = await mkdtemp(join(tmpdir(), 'companyos-finops-target-'));
    const report = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: target, select: ['+tag:finops'], tenant: TENANT, trigger: 'cli' });
    expect(report.results.filter((r) => r.status !== 'success').map((r) => `${r.model}: ${r.message}`)).toEqual([]);
  };

  it('attributes a simulated bill to within 1% of the true cost, and every invoice reconciles exactly', async () => {
    const simulation = simulate({ tenants: 6, days: 20, seed: 7, start: new Date('2026-09-21T00:00:00Z'), eventLoss: 0.002 });
    await new IngestPipeline(db.warehouse).ingest(simulation.events, { channel: 'file', submitter: TENANT });
    const dir = await mkdtemp(join(tmpdir(), 'companyos-sim-'));
    await writeFile(join(dir, 'bill.csv'), simulatedBillCsv(simulation.bill));
    const imported = await importBillFile(db.warehouse, join(dir, 'bill.csv'), { tenant: TENANT });
    expect(imported.rows_parked).toBe(0);
    await recordTrueCosts(db.warehouse, TENANT, 'sim-7', simulation.trueCosts);
    await build();

    const summary = await readFinopsSummary(new TenantScope(db.warehouse, TENANT));
    expect(summary).toMatchObject({ built: true, invoices: 2, balanced: 2, unbalanced: [] });
    if (!summary.built) throw new Error('not built');
    expect(Number(summary.accuracy!.accuracy_percent)).toBeGreaterThanOrEqual(99);
    expect(Number(summary.accuracy!.accuracy_percent)).toBeLessThan(100);

    const invoices = await readReconciliation(new TenantScope(db.warehouse, TENANT));
    for (const invoice of invoices) {
      expect(invoice.billed_difference).toBe('0.0000000000');
      expect(invoice.effective_difference).toBe('0.0000000000');
      // Tax, the commitment fee, idle capacity and the promotional credit are on the unallocated line, never spread.
      expect(Number(invoice.unallocated_billed)).toBeGreaterThan(0);
    }

    // The correction on October's invoice lands in September, the period it corrects.
    const september = await readAttribution(new TenantScope(db.warehouse, TENANT), '2026-09');
    const october = await readAttribution(new TenantScope(db.warehouse, TENANT), '2026-10');
    const septemberTruth = simulation.trueCosts.filter((t) => t.period === '2026-09' && t.tenant === 'sim-tenant-001')[0]!;
    const attributed = september.lines.filter((l) => l.cost_tenant === 'sim-tenant-001').reduce((a, l) => a + Number(l.effective_cost), 0);
    expect(Math.abs(attributed - Number(septemberTruth.cost))).toBeLessThan(Number(septemberTruth.cost) * 0.01);
    expect(october.lines.some((l) => l.cost_tenant === 'unallocated')).toBe(true);
    expect(Number(october.coverage_percent)).toBeGreaterThan(80);

    const byService = await readTenantCost(new TenantScope(db.warehouse, TENANT), 'sim-tenant-002', { groupBy: 'service' });
    expect(byService.lines.map((l) => l.service).sort()).toEqual(['API Gateway', 'Compute', 'Databases', 'Kubernetes', 'Storage']);
  });

  it('reconciles every FOCUS spec example and provider sample exactly, with nothing claimed left unallocated', async () => {
    for (const file of readdirSync(SPEC_EXAMPLES).filter((f) => f.endsWith('.csv'))) await importBillFile(db.warehouse, join(SPEC_EXAMPLES, file), { tenant: TENANT });
    for (const file of readdirSync(FIXTURES)) await importBillFile(db.warehouse, join(FIXTURES, file), { tenant: TENANT });
    await build();
    const invoices = await readReconciliation(new TenantScope(db.warehouse, TENANT));
    expect(invoices.length).toBeGreaterThan(10);
    expect(invoices.filter((i) => !i.balanced)).toEqual([]);
    const rows = await db.warehouse.query<{ n: number }>('SELECT sum(bill_rows) AS n FROM finops_reconciliation');
    const loaded = await db.warehouse.query<{ n: number }>('SELECT sum(rows_loaded) AS n FROM bill_batches');
    expect(Number(rows[0]!.n)).toBe(Number(loaded[0]!.n));
    // Tagged rows of the samples are direct; the Azure shared VM has no usage meter data, so it stays unallocated under its rule.
    const acme = await readTenantCost(new TenantScope(db.warehouse, TENANT), 'acme', {});
    expect(Number(acme.effective_total)).toBeGreaterThan(0);
    const shared = await db.warehouse.query("SELECT allocation FROM finops_cost_allocation WHERE rule = 'shared-databases'");
    expect(shared.map((r) => r.allocation)).toEqual(['unallocated']);
  });
});

describe('allocation rules', () => {
  it('reports every problem of a rules file at once', () => {
    const { problems } = parseAllocationRules(
      'allocation.yaml',
      `direct:
  - name: Bad Name
    tag: tenant
  - name: no-group
    resource_id: '^vm-'
  - name: lookahead
    resource_id: '^vm-(\\w+)(?=-prod)'
  - name: escaped-paren
    resource_id: '^vm-(\\w+)\\(?=x'
  - name: paren-in-class
    resource_id: '^vm-[(]\\w+'
  - name: js-named-group
    resource_id: '^vm-(?<tenant>\\w+)'
  - name: js-unicode-escape
    resource_id: '^vm-(\\w+)\\u002d'
shared:
  - name: nothing
    split: even
  - name: bad-split
    match: { service_name: X }
    split: { weights: { acme: -1 } }
`,
    );
    expect(problems.map((p) => p.message)).toEqual([
      'direct[0]: name must be lowercase letters, digits, "-" and "_"',
      'direct[1]: resource_id needs a capture group naming the tenant, or a tenant:',
      'direct[2]: "^vm-(\\w+)(?=-prod)" uses a lookahead, which the warehouse\'s regular expressions (RE2) do not have',
      'direct[4]: resource_id needs a capture group naming the tenant, or a tenant:',
      'direct[5]: "^vm-(?<tenant>\\w+)" uses a (?<name>…) group, which the warehouse\'s regular expressions (RE2) do not have',
      'direct[6]: "^vm-(\\w+)\\u002d" uses the escape \\u, which the warehouse\'s regular expressions (RE2) do not have',
      'shared[0] (nothing): match: needs at least one of tag, resource_id, service_name, charge_category',
      'shared[1] (bad-split): weight of "acme" must be a positive decimal',
    ]);
  });
});
