import { renderMacros, renderTexts } from '../../../platform/transforms/index.ts';
import { scenarioProblems, skuMarginsSql, tenantChargesSql, withExcludedPacks, type Pricing, type PricingScenario, type RelationOf } from '../index.ts';
import { join, raw, sql, TENANT_ZERO, type SqlFragment, type TenantScope } from '../../../platform/tenancy/index.ts';
import { fromUnits, toUnits, type Row } from '../../../kernel/warehouse/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { assertBuilt, ownCostOnly, percent, periodRange } from './finops.ts';

export const COGS_GROUPS = ['tenant', 'pack', 'plan', 'sla_tier'] as const;
export type CogsGroup = (typeof COGS_GROUPS)[number];

const text = (row: Row, key: string) => String(row[key] ?? '');
const money = (value: unknown) => fromUnits(toUnits(value));
const sumOf = <T>(items: readonly T[], value: (item: T) => unknown) => items.reduce((a, i) => a + toUnits(value(i)), 0n);

/** Marks where model SQL reads a relation, so each read can be taken from the scope. */
const RELATION_MARK = /@@relation:([a-z_][a-z0-9_]*)@@/;
const markRelation: RelationOf = (model) => `@@relation:${model}@@`;

/**
 * The models' own SQL (the same a build runs) with every relation it reads taken from the
 * owner's scope, `where` applied inside each: the query sees the owner's rows only.
 */
function scopedModelSql(marked: string, scope: TenantScope, where: SqlFragment): SqlFragment {
  // Texts after the split: a text may hold anything, a relation mark included.
  const pieces = renderMacros(marked, scope.dialect).split(RELATION_MARK);
  return join(pieces.map((piece, i) => (i % 2 ? scope.table(piece, { as: null, where }) : raw(renderTexts(piece, scope.dialect)))), '');
}

/**
 * Attributed cost (COGS, EffectiveCost) of a month of charges, per tenant, pack, plan or SLA tier. Cost no pack tag names is `platform`.
 * A bill owner other than the platform operator sees only what is attributed to itself (`ownCostOnly`).
 */
export async function readCogs(scope: TenantScope, period: string, groupBy: CogsGroup = 'tenant', platformTenant = TENANT_ZERO) {
  await assertBuilt(scope, 'finops_cogs');
  const [from, to] = periodRange(period);
  const column = raw({ tenant: 'cost_tenant', pack: 'pack', plan: 'plan', sla_tier: 'sla_tier' }[groupBy]);
  const own = ownCostOnly(scope.tenant, platformTenant);
  const rows = await scope.query(
    sql`SELECT ${column} AS grp, currency, sum(billed_cost) AS billed, sum(effective_cost) AS effective
     FROM ${scope.table('finops_cogs', { where: sql`cost_month >= ${from} AND cost_month < ${to} AND ${own}` })}
     GROUP BY ${column}, currency ORDER BY currency, ${column}`,
  );
  const empty = groupBy === 'pack' ? 'platform' : 'unknown';
  const lines = rows.map((r) => ({ [groupBy]: text(r, 'grp') || empty, currency: text(r, 'currency'), billed_cost: money(r.billed), cogs: money(r.effective) }));
  const total = sumOf(lines, (l) => l.cogs);
  return { period, group_by: groupBy, lines: lines.map((l) => ({ ...l, share_percent: percent(toUnits(l.cogs), total) })), cogs_total: fromUnits(total) };
}

export interface SkuFigures {
  tenants: number;
  revenue: string;
  cogs: string;
  margin: string;
  margin_percent: string | null;
}

interface SkuLine extends SkuFigures {
  sku_kind: string;
  sku: string;
}

const figures = (revenue: bigint, cogs: bigint, tenants: number): SkuFigures => ({
  tenants,
  revenue: fromUnits(revenue),
  cogs: fromUnits(cogs),
  margin: fromUnits(revenue - cogs),
  margin_percent: percent(revenue - cogs, revenue),
});

function skuLines(rows: Row[]): SkuLine[] {
  return rows.map((r) => ({ sku_kind: text(r, 'sku_kind'), sku: text(r, 'sku'), ...figures(toUnits(r.revenue), toUnits(r.cogs), Number(r.tenants)) }));
}

type Figures = Omit<SkuFigures, 'tenants'>;

function totals(lines: readonly SkuFigures[]): Figures {
  const { revenue, cogs, margin, margin_percent } = figures(sumOf(lines, (l) => l.revenue), sumOf(lines, (l) => l.cogs), 0);
  return { revenue, cogs, margin, margin_percent };
}

const figuresOf = (line: SkuLine | undefined): SkuFigures =>
  line ? { tenants: line.tenants, revenue: line.revenue, cogs: line.cogs, margin: line.margin, margin_percent: line.margin_percent } : figures(0n, 0n, 0);

/**
 * Revenue from pricing.yaml, COGS and margin per SKU for a month, from the built finops_sku_margins (for a bill owner other
 * than the platform operator: from its own charges in finops_tenant_charges, so no other tenant's plan or tier shows).
 */
export async function readMargins(scope: TenantScope, period: string, pricing: Pricing | undefined, platformTenant = TENANT_ZERO) {
  await assertBuilt(scope, 'finops_sku_margins');
  const [from, to] = periodRange(period);
  const inPeriod = sql`cost_month >= ${from} AND cost_month < ${to}`;
  const margins = scope.tenant !== platformTenant
    ? sql`(${scopedModelSql(skuMarginsSql(markRelation('finops_tenant_charges')), scope, sql`${inPeriod} AND ${ownCostOnly(scope.tenant, platformTenant)}`)})`
    : scope.table('finops_sku_margins', { as: null, where: inPeriod });
  const rows = await scope.query(sql`SELECT sku_kind, sku, tenants, revenue, cogs FROM ${margins} margins ORDER BY sku_kind, sku`);
  const lines = skuLines(rows).map((l) => ({ ...l, priced: pricing ? isPriced(pricing, l) : null }));
  return { period, currency: pricing?.currency ?? null, skus: lines, total: totals(lines) };
}

/** Whether pricing.yaml prices the SKU: a base SKU needs a known plan and tier. */
function isPriced(pricing: Pricing, line: SkuLine): boolean {
  if (line.sku_kind === 'pack') return Boolean(pricing.packs[line.sku]);
  const [plan, tier] = line.sku.split('/') as [string, string];
  return pricing.plans[plan] !== undefined && pricing.slaTiers[tier] !== undefined;
}

/**
 * A what-if on the built COGS: the month's SKU margins under the price table
 * as it is, and with the scenario's tier moves and packs taken out of the base
 * SKU, through the same SQL the models build with. Reads only.
 */
export async function simulatePricing(scope: TenantScope, period: string, pricing: Pricing, scenario: PricingScenario, platformTenant = TENANT_ZERO) {
  const problems = scenarioProblems(pricing, scenario);
  if (problems.length) throw new DomainError('SCENARIO_INVALID', problems.join(' '));
  await assertBuilt(scope, 'finops_cogs');
  const owner = scope.tenant;
  const [from, to] = periodRange(period);
  const costs = sql`cost_month >= ${from} AND cost_month < ${to} AND ${ownCostOnly(owner, platformTenant)}`;
  const margins = async (table: Pricing, moves: Record<string, string>) => {
    const charges = `(${tenantChargesSql(table, moves, markRelation)})`;
    const rows = await scope.query(sql`SELECT sku_kind, sku, tenants, revenue, cogs FROM (${scopedModelSql(skuMarginsSql(charges), scope, costs)}) margins`);
    return skuLines(rows);
  };
  const baseline = await margins(pricing, {});
  const simulated = await margins(withExcludedPacks(pricing, scenario.excludedPacks), scenario.tierMoves);
  const known = new Set(baseline.map((l) => `${l.sku_kind}|${l.sku}`));
  // Another owner than the platform operator moves only itself: other tenants answer as tenants without cost do.
  const moved = Object.keys(scenario.tierMoves);
  const unknownTenants = moved.length
    ? [...new Set([...(await tenantsWithoutCost(scope, from, to, moved)), ...(owner !== platformTenant ? moved.filter((t) => t !== owner) : [])])]
    : [];
  if (unknownTenants.length) throw new DomainError('SCENARIO_INVALID', `No attributed cost in ${period} for ${unknownTenants.join(', ')}: nothing to move.`);
  const keys = [...known, ...simulated.map((l) => `${l.sku_kind}|${l.sku}`).filter((k) => !known.has(k))];
  const find = (lines: SkuLine[], key: string) => lines.find((l) => `${l.sku_kind}|${l.sku}` === key);
  const skus = keys.sort().map((key) => {
    const [sku_kind, sku] = key.split('|') as [string, string];
    const before = figuresOf(find(baseline, key));
    const after = figuresOf(find(simulated, key));
    return { sku_kind, sku, baseline: before, scenario: after, delta: delta(before, after) };
  });
  const before = totals(baseline);
  const after = totals(simulated);
  return {
    period,
    currency: pricing.currency,
    scenario: { tier_moves: scenario.tierMoves, excluded_packs: scenario.excludedPacks },
    skus,
    total: { baseline: before, scenario: after, delta: delta(before, after) },
  };
}

function delta(before: Figures, after: Figures) {
  const minus = (key: 'revenue' | 'cogs' | 'margin') => fromUnits(toUnits(after[key]) - toUnits(before[key]));
  return { revenue: minus('revenue'), cogs: minus('cogs'), margin: minus('margin') };
}

async function tenantsWithoutCost(scope: TenantScope, from: Date, to: Date, tenants: string[]): Promise<string[]> {
  const listed = join(tenants.map((tenant) => sql`${tenant}`), ', ');
  const rows = await scope.query<{ cost_tenant: string }>(
    sql`SELECT DISTINCT cost_tenant FROM ${scope.table('finops_cogs', { where: sql`cost_month >= ${from} AND cost_month < ${to} AND cost_tenant IN (${listed})` })}`,
  );
  const found = new Set(rows.map((r) => r.cost_tenant));
  return tenants.filter((t) => !found.has(t));
}
