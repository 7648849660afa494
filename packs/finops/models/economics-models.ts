import { modelText, tableModels, type ModelFile } from '../../../platform/transforms/index.ts';
import type { Pricing } from './pricing-rules.ts';
import { TENANT_DAYS } from './tenant-days-model.ts';


/** How the economics SQL names the models it reads: `{{ ref() }}` inside a build, the table itself for a what-if query. */
export type RelationOf = (model: string) => string;
export const refRelation: RelationOf = (model) => `{{ ref('${model}') }}`;

/**
 * The economics models pricing.yaml becomes, after attribution:
 * finops_tenant_profile (each tenant's plan and SLA tier per month, from `finops_tenant_days`) →
 * finops_cogs (attributed cost per tenant, plan, tier and pack) →
 * finops_tenant_charges (per tenant and SKU: what it pays, what it costs) → finops_sku_margins.
 */
export function economicsModels(pricing: Pricing, path: string): ModelFile[] {
  const model = tableModels(path, 'finops');
  return [
    model('finops_tenant_profile', tenantProfile(), [TENANT_DAYS], "Each tenant's plan and SLA tier per month: the latest its events carry"),
    model('finops_cogs', cogs(), ['finops_cost_allocation', 'finops_tenant_profile'], 'Attributed cost (COGS) per month, tenant, plan, SLA tier and pack'),
    model('finops_tenant_charges', tenantChargesSql(pricing, {}, refRelation), ['finops_cogs'],
      'Per month, tenant and SKU (plan/tier base, or add-on pack): revenue from pricing.yaml, COGS and margin'),
    model('finops_sku_margins', skuMarginsSql(refRelation('finops_tenant_charges')), ['finops_tenant_charges'], 'Per month and SKU: tenants, revenue, COGS and margin'),
  ];
}

/** The month's latest plan and tier, from the days that carried them (`finops_tenant_days`). */
function tenantProfile(): string {
  return `SELECT tenant_id, profile_month, argMax(day_plan, profiled_at) AS plan, argMax(day_tier, profiled_at) AS sla_tier
FROM (
  SELECT tenant_id, {{ time_window('month', 'activity_day') }} AS profile_month, plan AS day_plan, sla_tier AS day_tier, profiled_at
  FROM {{ ref('${TENANT_DAYS}') }} days WHERE profiled_at IS NOT NULL
) profiled
GROUP BY tenant_id, profile_month`;
}

function cogs(): string {
  return `SELECT tenant_id, cost_month, cost_tenant, coalesce(tenant_plan, '') AS plan, coalesce(tenant_tier, '') AS sla_tier, cost_pack AS pack, cost_currency AS currency,
  sum(billed) AS billed_cost, sum(effective) AS effective_cost
FROM (
  SELECT tenant_id, {{ time_window('month', 'charge_window') }} AS cost_month, cost_tenant, pack AS cost_pack, currency AS cost_currency,
    billed_cost AS billed, effective_cost AS effective
  FROM {{ ref('finops_cost_allocation') }} WHERE cost_tenant != ''
) attributed
LEFT JOIN (
  SELECT tenant_id AS cost_tenant, profile_month AS cost_month, plan AS tenant_plan, sla_tier AS tenant_tier FROM {{ ref('finops_tenant_profile') }}
) profile USING (cost_tenant, cost_month)
GROUP BY tenant_id, cost_month, cost_tenant, tenant_plan, tenant_tier, cost_pack, cost_currency`;
}

const caseOf = (column: string, values: Record<string, string>, fallback: string) => {
  const entries = Object.entries(values);
  return entries.length ? `CASE ${column} ${entries.map(([k, v]) => `WHEN ${modelText(k)} THEN ${modelText(v)}`).join(' ')} ELSE ${modelText(fallback)} END` : modelText(fallback);
};

/**
 * Per owner, month, tenant and SKU: revenue (plan + tier price for the base
 * SKU, the pack's price for each add-on pack the tenant has cost on), COGS and
 * margin, in pricing.yaml's currency. `tierMoves` puts tenants on another tier
 * for a what-if: their base SKU and price follow, and their COGS scales by the
 * tiers' cost_factor ratio (exactly, through `prorate`). The build and the
 * pricing simulator run this same SQL, so a what-if's baseline is the model.
 */
export function tenantChargesSql(pricing: Pricing, tierMoves: Record<string, string>, relation: RelationOf): string {
  const addOns = Object.entries(pricing.packs).filter(([, p]) => !p.inBaseSku);
  const isAddOn = addOns.length ? `pack IN (${addOns.map(([name]) => modelText(name)).join(', ')})` : '1 = 0';
  const known = (column: string) => `CASE WHEN ${column} = '' THEN 'unknown' ELSE ${column} END`;
  const moved = Object.keys(tierMoves).length ? `CASE cost_tenant ${Object.entries(tierMoves).map(([t, tier]) => `WHEN ${modelText(t)} THEN ${modelText(tier)}`).join(' ')} ELSE ${known('sla_tier')} END` : known('sla_tier');
  const factors = Object.fromEntries(Object.entries(pricing.slaTiers).map(([tier, t]) => [tier, t.costFactor]));
  const priced = `SELECT tenant_id, cost_month, cost_tenant, sku_kind, sku, base_sku, {{ prorate('effective_cost', 'new_factor', 'old_factor') }} AS line_cogs,
    plan_price + tier_price AS base_price, pack_price
  FROM (
    SELECT tenant_id, cost_month, cost_tenant, sku_kind, sku, base_sku, effective_cost,
      {{ to_decimal('plan_price_text') }} AS plan_price, {{ to_decimal('tier_price_text') }} AS tier_price, {{ to_decimal('pack_price_text') }} AS pack_price,
      {{ to_decimal('old_factor_text') }} AS old_factor, {{ to_decimal('new_factor_text') }} AS new_factor
    FROM (
      SELECT tenant_id, cost_month, cost_tenant, effective_cost,
        CASE WHEN ${isAddOn} THEN 'pack' ELSE 'base' END AS sku_kind,
        CASE WHEN ${isAddOn} THEN pack ELSE concat(plan_name, '/', tier_name) END AS sku,
        concat(plan_name, '/', tier_name) AS base_sku,
        ${caseOf('plan_name', pricing.plans, '0')} AS plan_price_text,
        ${caseOf('tier_name', Object.fromEntries(Object.entries(pricing.slaTiers).map(([tier, t]) => [tier, t.price])), '0')} AS tier_price_text,
        ${caseOf('pack', Object.fromEntries(addOns.map(([name, p]) => [name, p.price])), '0')} AS pack_price_text,
        ${caseOf('old_tier', factors, '1')} AS old_factor_text,
        ${caseOf('tier_name', factors, '1')} AS new_factor_text
      FROM (
        SELECT tenant_id, cost_month, cost_tenant, pack, effective_cost, ${known('plan')} AS plan_name, ${known('sla_tier')} AS old_tier, ${moved} AS tier_name
        FROM ${relation('finops_cogs')} costs WHERE currency = ${modelText(pricing.currency)}
      ) named
    ) texts
  ) decimals`;
  return `SELECT tenant_id, cost_month, ${modelText(pricing.currency)} AS currency, cost_tenant, sku_kind, sku,
  sum(charge_revenue) AS revenue, sum(charge_cogs) AS cogs, sum(charge_revenue) - sum(charge_cogs) AS margin
FROM (
  SELECT tenant_id, cost_month, cost_tenant, sku_kind, sku, line_cogs - line_cogs AS charge_revenue, line_cogs AS charge_cogs FROM (${priced}) cost_lines
  UNION ALL
  -- Each tenant pays its base SKU once a month...
  SELECT tenant_id, cost_month, cost_tenant, 'base' AS sku_kind, base_sku AS sku, min(base_price) AS charge_revenue, min(line_cogs) - min(line_cogs) AS charge_cogs
  FROM (${priced}) base_lines GROUP BY tenant_id, cost_month, cost_tenant, base_sku
  UNION ALL
  -- ...and each add-on pack it has cost on.
  SELECT tenant_id, cost_month, cost_tenant, sku_kind, sku, min(pack_price) AS charge_revenue, min(line_cogs) - min(line_cogs) AS charge_cogs
  FROM (${priced}) pack_lines WHERE sku_kind = 'pack' GROUP BY tenant_id, cost_month, cost_tenant, sku_kind, sku
) charges
GROUP BY tenant_id, cost_month, cost_tenant, sku_kind, sku`;
}

/** Per owner, month and SKU, from tenant charges (a model, or a what-if's charges as a subquery). */
export function skuMarginsSql(charges: string): string {
  return `SELECT tenant_id, cost_month, currency, sku_kind, sku, count(DISTINCT cost_tenant) AS tenants,
  sum(tenant_revenue) AS revenue, sum(tenant_cogs) AS cogs, sum(tenant_revenue) - sum(tenant_cogs) AS margin
FROM (SELECT tenant_id, cost_month, currency, sku_kind, sku, cost_tenant, revenue AS tenant_revenue, cogs AS tenant_cogs FROM ${charges} charged) per_tenant
GROUP BY tenant_id, cost_month, currency, sku_kind, sku`;
}
