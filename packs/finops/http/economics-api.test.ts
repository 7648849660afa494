import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { useApi } from '../../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { buildSimulatedFinops, MODELS, OPERATOR } from '../../../test/support/finops.ts';
import { fromUnits, toUnits } from '../../../kernel/warehouse/index.ts';

const TARGET = '/tmp/companyos-economics-api-target';

interface Sku {
  sku_kind: string;
  sku: string;
  tenants: number;
  revenue: string;
  cogs: string;
  margin: string;
}
const sum = (values: string[]) => fromUnits(values.reduce((a, v) => a + toUnits(v), 0n));
const bySku = (skus: Sku[]) => Object.fromEntries(skus.map((s) => [`${s.sku_kind}:${s.sku}`, s]));

describe.each(TEST_ENGINES)('FinOps economics API on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db, { transforms: { modelsDir: MODELS, targetDir: TARGET, operatorTenant: OPERATOR } });
  const auth = async (tenant: string) => ({ authorization: `Bearer ${await server.api.token(tenant, 'reader')}` });
  const get = async (url: string, tenant = OPERATOR) => server.api.app.inject({ url, headers: await auth(tenant) });
  const whatIf = async (payload: object) =>
    server.api.app.inject({ method: 'POST', url: '/v1/finops/pricing:simulate', payload, headers: await auth(OPERATOR) });

  const importAndBuild = () => buildSimulatedFinops(db.warehouse, TARGET);

  it('serves COGS per tenant, pack, plan and SLA tier, each summing to the cost attributed to tenants', async () => {
    await importAndBuild();
    const attribution = (await get('/v1/finops/attribution?period=2026-10')).json();
    const attributed = attribution.attributed as string;
    const groups: Record<string, string[]> = {
      tenant: ['sim-tenant-001', 'sim-tenant-002', 'sim-tenant-003'],
      pack: ['finops', 'high_risk_ops', 'platform', 'revops'],
      plan: ['enterprise', 'pro', 'white-label'],
      sla_tier: ['gold', 'platinum', 'silver'],
    };
    for (const [groupBy, expected] of Object.entries(groups)) {
      const reply = await get(`/v1/finops/cogs?period=2026-10&group_by=${groupBy}`);
      expect(reply.statusCode).toBe(200);
      const { lines, cogs_total } = reply.json();
      expect(lines.map((l: Record<string, string>) => l[groupBy]).sort()).toEqual(expected);
      expect(cogs_total).toBe(attributed);
      expect(sum(lines.map((l: { cogs: string }) => l.cogs))).toBe(attributed);
    }
    // The 0.1.0 spelling is still taken (deprecated); both spellings at once are refused.
    expect((await get('/v1/finops/cogs?period=2026-10&groupBy=plan')).json()).toEqual((await get('/v1/finops/cogs?period=2026-10&group_by=plan')).json());
    const both = await get('/v1/finops/cogs?period=2026-10&groupBy=plan&group_by=pack');
    expect([both.statusCode, both.json().code]).toEqual([400, 'BAD_REQUEST']);
    const csv = await server.api.app.inject({ url: '/v1/finops/cogs?period=2026-10&group_by=pack', headers: { ...(await auth(OPERATOR)), accept: 'text/csv' } });
    expect(csv.body.split('\r\n')[0]).toBe('pack,currency,billed_cost,cogs,share_percent');
  });

  it('prices every SKU from pricing.yaml: margin = revenue − COGS, and all COGS lands on some SKU', async () => {
    await importAndBuild();
    const pricing = parseYaml(await readFile(`${MODELS}/finops/pricing.yaml`, 'utf8'));
    const reply = await get('/v1/finops/margins?period=2026-10');
    expect(reply.statusCode).toBe(200);
    const { skus, total } = reply.json() as { skus: Sku[]; total: { revenue: string; cogs: string; margin: string } };
    const price = (...parts: string[]) => sum(parts);
    const skuMap = bySku(skus);
    expect(Object.keys(skuMap).sort()).toEqual(['base:enterprise/gold', 'base:pro/silver', 'base:white-label/platinum', 'pack:finops']);
    expect(skuMap['base:pro/silver']).toMatchObject({ tenants: 1, revenue: price(pricing.plans.pro, pricing.sla_tiers.silver.price) });
    expect(skuMap['base:enterprise/gold']!.revenue).toBe(price(pricing.plans.enterprise, pricing.sla_tiers.gold.price));
    expect(skuMap['pack:finops']).toMatchObject({ tenants: 1, revenue: price(pricing.packs.finops.price) });
    for (const sku of skus) expect(sku.margin).toBe(fromUnits(toUnits(sku.revenue) - toUnits(sku.cogs)));
    const cogs = (await get('/v1/finops/cogs?period=2026-10')).json();
    expect(total.cogs).toBe(cogs.cogs_total);
    expect(total.margin).toBe(fromUnits(toUnits(total.revenue) - toUnits(total.cogs)));
    // The FinOps add-on's COGS is exactly the cost tagged with that pack.
    const packs = (await get('/v1/finops/cogs?period=2026-10&group_by=pack')).json();
    expect(skuMap['pack:finops']!.cogs).toBe(packs.lines.find((l: { pack: string }) => l.pack === 'finops').cogs);

    const other = (await get('/v1/finops/margins?period=2026-10', 'acme')).json();
    expect(other.skus).toEqual([]);
  });

  it('answers what-ifs: a tenant moves tier, a pack leaves the base SKU; the baseline is the built model', async () => {
    await importAndBuild();
    const built = (await get('/v1/finops/margins?period=2026-10')).json();
    const pricing = parseYaml(await readFile(`${MODELS}/finops/pricing.yaml`, 'utf8'));

    const moved = await whatIf({ period: '2026-10', tier_moves: { 'sim-tenant-001': 'gold' } });
    expect(moved.statusCode).toBe(200);
    const move = moved.json();
    expect(move.skus.map((s: { baseline: Sku }) => s.baseline).filter((s: Sku) => s.tenants > 0).map((s: Sku) => s.revenue).sort())
      .toEqual(built.skus.map((s: Sku) => s.revenue).sort());
    const skus = Object.fromEntries(move.skus.map((s: { sku_kind: string; sku: string }) => [`${s.sku_kind}:${s.sku}`, s]));
    const before = skus['base:pro/silver'];
    const after = skus['base:pro/gold'];
    expect(after.baseline.tenants).toBe(0);
    expect(before.scenario.tenants).toBe(0);
    expect(after.scenario.revenue).toBe(sum([pricing.plans.pro, pricing.sla_tiers.gold.price]));
    expect(move.total.delta.revenue).toBe(fromUnits(toUnits(pricing.sla_tiers.gold.price) - toUnits(pricing.sla_tiers.silver.price)));
    // COGS scales by gold's cost_factor over silver's, truncated per cost line at 10 decimals.
    const scaled = (toUnits(before.baseline.cogs) * toUnits(pricing.sla_tiers.gold.cost_factor)) / toUnits(pricing.sla_tiers.silver.cost_factor);
    const drift = scaled - toUnits(after.scenario.cogs);
    expect(drift >= 0n && drift < 10n).toBe(true);

    const excluded = (await whatIf({ period: '2026-10', excluded_packs: ['revops'] })).json();
    const revops = excluded.skus.find((s: { sku: string }) => s.sku === 'revops');
    expect(revops.scenario).toMatchObject({ tenants: 3, revenue: sum([pricing.packs.revops.price, pricing.packs.revops.price, pricing.packs.revops.price]) });
    expect(toUnits(excluded.total.delta.cogs)).toBe(0n);
    expect(excluded.total.delta.revenue).toBe(revops.scenario.revenue);
    const revopsCost = (await get('/v1/finops/cogs?period=2026-10&group_by=pack')).json().lines.find((l: { pack: string }) => l.pack === 'revops').cogs;
    expect(revops.scenario.cogs).toBe(revopsCost);

    // Nothing was written: the built margins are as they were.
    expect((await get('/v1/finops/margins?period=2026-10')).json()).toEqual(built);
  });

  it('refuses what-ifs it cannot answer, with the reason', async () => {
    const early = await whatIf({ period: '2026-10', excluded_packs: ['revops'] });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('FINOPS_NOT_BUILT');
    await importAndBuild();
    for (const [payload, message] of [
      [{ period: '2026-10', tier_moves: { 'sim-tenant-001': 'diamond' } }, 'SLA tier "diamond" is not in pricing.yaml'],
      [{ period: '2026-10', excluded_packs: ['finops'] }, 'Pack "finops" is already an add-on'],
      [{ period: '2026-10', tier_moves: { 'sim-tenant-404': 'gold' } }, 'No attributed cost in 2026-10 for sim-tenant-404'],
    ] as const) {
      const reply = await whatIf(payload);
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({ code: 'SCENARIO_INVALID' });
      expect(reply.json().message).toContain(message);
    }
    expect((await whatIf({ period: '2026-13' })).statusCode).toBe(400);
  });
});
