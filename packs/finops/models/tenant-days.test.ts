import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../../platform/ingest/index.ts';
import { buildProject } from '../../../platform/transforms/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { cloudEvent } from '../../../test/support/events.ts';
import { MODEL_GENERATORS } from '../../index.ts';
import { importBillFile } from '../index.ts';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const TENANT = 'summit-internal';
const event = (id: string, tenant: string, time: string, plan?: string, tier?: string) =>
  cloudEvent({ id, tenantid: tenant, time, plan, slatier: tier });

describe.each(TEST_ENGINES)('finops_tenant_days on %s', (engine) => {
  const db = useWarehouse(engine);
  const build = async (fullRefresh = false) => {
    const target = await mkdtemp(join(tmpdir(), 'companyos-finops-target-'));
    const report = await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: target, select: ['+tag:finops'], fullRefresh, tenant: TENANT, trigger: 'cli' });
    expect(report.results.filter((r) => r.status !== 'success').map((r) => `${r.model}: ${r.message}`)).toEqual([]);
  };
  const day = (value: unknown) => (value === null ? 'null' : (value as Date).toISOString().slice(0, 16));
  const read = async () => {
    const relation = db.warehouse.dialect.deduplicated('finops_tenant_days');
    const days = await db.warehouse.query(`SELECT tenant_id, activity_day, plan, sla_tier, profiled_at FROM ${relation} ORDER BY tenant_id, activity_day`);
    const profiles = await db.warehouse.query('SELECT tenant_id, profile_month, plan, sla_tier FROM finops_tenant_profile ORDER BY tenant_id, profile_month');
    const weights = await db.warehouse.query(
      "SELECT charge_grain, charge_window, cost_tenant, weight FROM finops_split_weights WHERE shared_rule = 'control-plane' ORDER BY charge_grain, charge_window, cost_tenant",
    );
    return {
      days: days.map((r) => `${r.tenant_id} ${day(r.activity_day)} ${r.plan ?? ''}/${r.sla_tier ?? ''} ${day(r.profiled_at)}`),
      profiles: profiles.map((r) => `${r.tenant_id} ${day(r.profile_month)} ${r.plan}/${r.sla_tier}`),
      weights: weights.map((r) => `${r.charge_grain} ${day(r.charge_window)} ${r.cost_tenant} ${r.weight}`),
    };
  };

  it('folds what arrives into the days it touches: the same days, profiles and even split as a full refresh', async () => {
    // The operator's bill has control-plane cost to split: the weights are its bill's.
    const bill = join(await mkdtemp(join(tmpdir(), 'companyos-finops-bill-')), 'bill.csv');
    await writeFile(bill, [
      'BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,BilledCost,EffectiveCost,BillingCurrency,Tags',
      '2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,Usage,Kubernetes,90.00,90.00,USD,"{""shared"":""control-plane""}"',
      '',
    ].join('\n'));
    expect((await importBillFile(db.warehouse, bill, { tenant: TENANT })).rows_parked).toBe(0);
    const pipeline = new IngestPipeline(db.warehouse);
    await pipeline.ingest([
      event('a1', 'acme', '2026-10-03T10:00:00Z', 'pro', 'gold'),
      event('a2', 'acme', '2026-10-03T12:00:00Z', 'pro', 'silver'),
      event('a3', 'acme', '2026-10-05T09:00:00Z'),
      event('g1', 'globex', '2026-10-04T10:00:00Z', 'enterprise', 'gold'),
    ], { channel: 'file', submitter: TENANT, receivedAt: new Date('2026-10-06T00:00:00Z') });
    await build();
    await pipeline.ingest([
      // Late, into a built day: a newer plan wins, an older one does not.
      event('a4', 'acme', '2026-10-03T18:00:00Z', 'team', 'gold'),
      event('a5', 'acme', '2026-10-03T08:00:00Z', 'free', 'bronze'),
      event('g0', 'globex', '2026-10-04T08:00:00Z', 'free', 'bronze'),
      // A built day that carried no plan gets one; a new day and month without one; a new tenant.
      event('a6', 'acme', '2026-10-05T11:00:00Z', 'team', 'silver'),
      event('g2', 'globex', '2026-11-01T10:00:00Z'),
      event('i1', 'initech', '2026-10-04T10:00:00Z', 'pro', 'gold'),
    ], { channel: 'file', submitter: TENANT, receivedAt: new Date('2026-11-02T00:00:00Z') });
    await build();
    const folded = await read();
    expect(folded.days).toEqual([
      'acme 2026-10-03T00:00 team/gold 2026-10-03T18:00',
      'acme 2026-10-05T00:00 team/silver 2026-10-05T11:00',
      'globex 2026-10-04T00:00 enterprise/gold 2026-10-04T10:00',
      'globex 2026-11-01T00:00 / null',
      'initech 2026-10-04T00:00 pro/gold 2026-10-04T10:00',
    ]);
    expect(folded.profiles).toEqual(['acme 2026-10-01T00:00 team/silver', 'globex 2026-10-01T00:00 enterprise/gold', 'initech 2026-10-01T00:00 pro/gold']);
    expect(folded.weights.filter((w) => w.startsWith('month'))).toEqual([
      'month 2026-10-01T00:00 acme 1.0000000000',
      'month 2026-10-01T00:00 globex 1.0000000000',
      'month 2026-10-01T00:00 initech 1.0000000000',
      'month 2026-11-01T00:00 globex 1.0000000000',
    ]);
    await build(true);
    expect(await read()).toEqual(folded);
  });
});
