import { modelText, tableModels, type ModelFile } from '../../../platform/transforms/index.ts';
import { meterModelName } from '../../metering/index.ts';
import type { AllocationRules, SharedRule } from './allocation-rules.ts';
import { TENANT_DAYS } from './tenant-days-model.ts';

/** Columns that identify a slice of the bill: who owns it, whose invoice, which day or month, what kind of charge. */
const KEYS = [
  'tenant_id', 'provider_name', 'account', 'invoice', 'billing_period_start', 'currency',
  'charge_grain', 'charge_window', 'charge_category', 'charge_class_key', 'service', 'pack',
];
/** The invoice a charge is on: what reconciliation totals. */
const INVOICE_KEYS = ['tenant_id', 'provider_name', 'account', 'invoice', 'billing_period_start', 'currency'];

const keys = (prefix = '') => KEYS.map((k) => `${prefix}${k}`).join(', ');

/**
 * The attribution models allocation.yaml becomes, in dependency order:
 * finops_bill_lines → finops_split_weights → finops_shared_groups →
 * finops_shared_shares → finops_cost_allocation → finops_reconciliation, finops_unit_costs.
 * Shares are truncated to 10 decimals; what truncation leaves goes to the
 * tenant with the largest weight (on a tie, the last by name, so rebuilds
 * agree), so every split sums to its cost exactly.
 */
export function allocationModels(rules: AllocationRules, path: string): ModelFile[] {
  const model = tableModels(path, 'finops');
  const meterRefs = [...new Set(rules.shared.flatMap((r) => (r.split.kind === 'meter' ? [meterModelName({ name: r.split.meter })] : [])))];
  const evenRefs = rules.shared.some((r) => r.split.kind === 'even') ? [TENANT_DAYS] : [];
  return [
    model('finops_bill_lines', billLines(rules), [], 'Bill rows of recorded import batches, with the rule that claims each', [
      ['raw', 'bill_rows'],
      ['raw', 'bill_batches'],
    ]),
    model('finops_split_weights', splitWeights(rules), ['finops_bill_lines', ...meterRefs, ...evenRefs], 'Per shared rule and window, each tenant\'s weight'),
    model('finops_shared_groups', sharedGroups(), ['finops_bill_lines', 'finops_split_weights'], 'Shared cost per rule and window, with the total weight to split it by'),
    model('finops_shared_shares', sharedShares(), ['finops_shared_groups', 'finops_split_weights'], "Each tenant's truncated share of shared cost"),
    model('finops_cost_allocation', costAllocation(), ['finops_bill_lines', 'finops_shared_groups', 'finops_shared_shares'],
      'Every cent of the bill, as direct, shared or unallocated cost, per tenant'),
    model('finops_reconciliation', reconciliation(), ['finops_bill_lines', 'finops_cost_allocation'],
      'Per invoice: bill totals against direct + shared + unallocated, and attribution coverage'),
    model('finops_unit_costs', unitCosts(rules), ['finops_cost_allocation', 'finops_split_weights'],
      'Cost per unit of each meter that splits shared cost, per month'),
  ];
}

function billLines(rules: AllocationRules): string {
  const tag = (key: string) => `{{ json_string('tags', '${key}') }}`;
  const directTenant = rules.direct.map((r) =>
    r.tag
      ? { when: `${tag(r.tag)} != ''`, tenant: tag(r.tag), rule: r.name }
      : r.tenant
        ? { when: `{{ regexp_matches('resource_id', '${r.resourceId}') }}`, tenant: modelText(r.tenant), rule: r.name }
        : { when: `{{ regexp_extract('resource_id', '${r.resourceId}') }} != ''`, tenant: `{{ regexp_extract('resource_id', '${r.resourceId}') }}`, rule: r.name },
  );
  const sharedWhen = (rule: SharedRule) => {
    const conditions = [
      ...Object.entries(rule.match.tags).map(([k, v]) => `${tag(k)} = ${modelText(v)}`),
      ...(rule.match.resourceId ? [`{{ regexp_matches('resource_id', '${rule.match.resourceId}') }}`] : []),
      ...(rule.match.serviceName ? [`service_name = ${modelText(rule.match.serviceName)}`] : []),
      ...(rule.match.chargeCategory ? [`charge_category = ${modelText(rule.match.chargeCategory)}`] : []),
    ];
    return conditions.join(' AND ');
  };
  const caseOf = (branches: { when: string; then: string }[]) =>
    branches.length ? `CASE ${branches.map((b) => `WHEN ${b.when} THEN ${b.then}`).join(' ')} ELSE '' END` : "''";
  const dayLong = 'charge_period_end IS NULL OR charge_period_end <= charge_period_start + INTERVAL 1 DAY';
  // A bill of another owner than the platform operator (the tenant builds run for) names no tenant but its owner:
  // a claim of another tenant is no claim (its cost would show that tenant's usage, plan and tier to the owner).
  const owned = `(tenant_id = {{ build_tenant() }} OR claimed_tenant = tenant_id)`;
  return `SELECT
  ${keys()}, batch_id, line, charge_period_start, resource_id, billed_cost, effective_cost, direct_rule, direct_tenant,
  CASE WHEN direct_tenant != '' THEN '' ELSE ${caseOf(rules.shared.map((r) => ({ when: sharedWhen(r), then: modelText(r.name) })))} END AS shared_rule
FROM (
  SELECT ${keys()}, batch_id, line, charge_period_start, resource_id, billed_cost, effective_cost, service_name, tags,
    CASE WHEN ${owned} THEN claimed_rule ELSE '' END AS direct_rule,
    CASE WHEN ${owned} THEN claimed_tenant ELSE '' END AS direct_tenant
  FROM (
  SELECT
    tenant_id, batch_id, line, charge_period_start, resource_id, billed_cost, effective_cost, billing_period_start,
    coalesce(provider, '') AS provider_name,
    coalesce(billing_account_id, '') AS account,
    coalesce(invoice_id, '') AS invoice,
    coalesce(billing_currency, '') AS currency,
    CASE WHEN ${dayLong} THEN 'day' ELSE 'month' END AS charge_grain,
    CASE WHEN ${dayLong} THEN {{ time_window('day', 'charge_period_start') }} ELSE {{ time_window('month', 'charge_period_start') }} END AS charge_window,
    charge_category,
    coalesce(charge_class, '') AS charge_class_key,
    coalesce(service_name, '') AS service,
    ${tag('pack')} AS pack,
    ${caseOf(directTenant.map((d) => ({ when: d.when, then: modelText(d.rule) })))} AS claimed_rule,
    ${caseOf(directTenant.map((d) => ({ when: d.when, then: d.tenant })))} AS claimed_tenant,
    service_name, tags
  FROM {{ source('raw', 'bill_rows') }} bill
  WHERE (tenant_id, batch_id) IN (SELECT tenant_id, batch_id FROM {{ source('raw', 'bill_batches') }} batches)
  ) read
) claimed`;
}

function splitWeights(rules: AllocationRules): string {
  const branches = rules.shared.map((rule) => {
    const name = modelText(rule.name);
    const split = rule.split;
    if (split.kind === 'meter') {
      const meter = meterModelName({ name: split.meter });
      const filter = Object.entries(split.where).map(([k, v]) => `dim_${k} = ${modelText(v)}`);
      const grain = (unit: 'day' | 'month') => `SELECT ${name} AS shared_rule, '${unit}' AS charge_grain, split_window AS charge_window, cost_tenant, sum(usage) AS weight
  FROM (SELECT {{ time_window('${unit}', 'window_start') }} AS split_window, tenant_id AS cost_tenant, {{ to_decimal('value') }} AS usage
        FROM {{ ref('${meter}') }} usage_${unit}${filter.length ? ` WHERE ${filter.join(' AND ')}` : ''}) metered
  GROUP BY split_window, cost_tenant HAVING sum(usage) > 0`;
      return `${grain('day')}\nUNION ALL\n${grain('month')}`;
    }
    if (split.kind === 'even') {
      const grain = (unit: 'day' | 'month') => `SELECT ${name} AS shared_rule, '${unit}' AS charge_grain, split_window AS charge_window, cost_tenant, {{ to_decimal('one') }} AS weight
  FROM (SELECT DISTINCT {{ time_window('${unit}', 'activity_day') }} AS split_window, tenant_id AS cost_tenant, 1 AS one FROM {{ ref('${TENANT_DAYS}') }} active_${unit}) active`;
      return `${grain('day')}\nUNION ALL\n${grain('month')}`;
    }
    const constants = Object.entries(split.weights)
      .map(([tenant, weight]) => `SELECT ${modelText(tenant)} AS cost_tenant, ${modelText(weight)} AS weight_text`)
      .join(' UNION ALL ');
    return `SELECT ${name} AS shared_rule, charge_grain, charge_window, cost_tenant, {{ to_decimal('weight_text') }} AS weight
  FROM (SELECT DISTINCT charge_grain, charge_window FROM {{ ref('finops_bill_lines') }} WHERE shared_rule = ${name}) windows
  CROSS JOIN (${constants}) fixed`;
  });
  // With no shared rules, an empty relation of the same shape.
  if (!branches.length) {
    return `SELECT tenant_id, shared_rule, charge_grain, charge_window, direct_tenant AS cost_tenant, billed_cost AS weight FROM {{ ref('finops_bill_lines') }} WHERE 1 = 0`;
  }
  // Per bill owner: the platform operator's (the tenant builds run for) bills split by every tenant's weight, another
  // owner's by its own only — other tenants' usage is not its to split by, nor to learn from its share. Two reads of
  // the weights, each joined once: every owner against every weight grew with the owners (15 s at 200 on ClickHouse).
  const weights = `(\n${branches.join('\nUNION ALL\n')}\n)`;
  const owners = (which: string) => `(SELECT DISTINCT tenant_id FROM {{ ref('finops_bill_lines') }} WHERE shared_rule != '' AND tenant_id ${which} {{ build_tenant() }})`;
  return `SELECT tenant_id, shared_rule, charge_grain, charge_window, cost_tenant, weight
FROM ${weights} every_tenant
CROSS JOIN ${owners('=')} operator
UNION ALL
SELECT tenant_id, shared_rule, charge_grain, charge_window, cost_tenant, weight
FROM ${weights} own_usage
JOIN (SELECT tenant_id, tenant_id AS cost_tenant FROM ${owners('!=')} other_owners) owner USING (cost_tenant)`;
}

function sharedGroups(): string {
  return `SELECT ${keys()}, shared_rule, billed, effective, total_weight, top_tenant
FROM (
  SELECT ${keys()}, shared_rule, sum(billed_cost) AS billed, sum(effective_cost) AS effective
  FROM {{ ref('finops_bill_lines') }} WHERE shared_rule != ''
  GROUP BY ${keys()}, shared_rule
) shared_cost
LEFT JOIN (
  SELECT tenant_id, shared_rule, charge_grain, charge_window, sum(weight) AS total_weight, argMax(cost_tenant, (weight, cost_tenant)) AS top_tenant
  FROM {{ ref('finops_split_weights') }}
  GROUP BY tenant_id, shared_rule, charge_grain, charge_window
) totals USING (tenant_id, shared_rule, charge_grain, charge_window)`;
}

function sharedShares(): string {
  return `SELECT ${keys()}, shared_rule, cost_tenant, weight,
  {{ prorate('billed', 'weight', 'total_weight') }} AS billed_share,
  {{ prorate('effective', 'weight', 'total_weight') }} AS effective_share
FROM (SELECT ${keys()}, shared_rule, billed, effective, total_weight FROM {{ ref('finops_shared_groups') }} WHERE coalesce(total_weight, 0) > 0) with_usage
JOIN (SELECT tenant_id, shared_rule, charge_grain, charge_window, cost_tenant, weight FROM {{ ref('finops_split_weights') }}) weights
USING (tenant_id, shared_rule, charge_grain, charge_window)`;
}

function costAllocation(): string {
  const out = `${keys()}, allocation, rule, cost_tenant, billed_cost, effective_cost`;
  return `SELECT ${out} FROM (
  SELECT ${keys()}, 'direct' AS allocation, direct_rule AS rule, direct_tenant AS cost_tenant,
    sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost
  FROM {{ ref('finops_bill_lines') }} WHERE direct_tenant != ''
  GROUP BY ${keys()}, direct_rule, direct_tenant
) direct_cost
UNION ALL
SELECT ${out} FROM (
  SELECT ${keys()}, 'shared' AS allocation, shared_rule AS rule, cost_tenant, billed_share AS billed_cost, effective_share AS effective_cost
  FROM {{ ref('finops_shared_shares') }}
) shares
UNION ALL
SELECT ${out} FROM (
  -- What truncating the shares left over, to the tenant with the largest weight.
  SELECT ${keys()}, 'shared' AS allocation, shared_rule AS rule, top_tenant AS cost_tenant,
    billed - billed_allocated AS billed_cost, effective - effective_allocated AS effective_cost
  FROM (SELECT ${keys()}, shared_rule, billed, effective, top_tenant FROM {{ ref('finops_shared_groups') }} WHERE coalesce(total_weight, 0) > 0) grouped
  JOIN (
    SELECT ${keys()}, shared_rule, sum(billed_share) AS billed_allocated, sum(effective_share) AS effective_allocated
    FROM {{ ref('finops_shared_shares') }} GROUP BY ${keys()}, shared_rule
  ) allocated USING (${keys()}, shared_rule)
  WHERE billed != billed_allocated OR effective != effective_allocated
) remainders
UNION ALL
SELECT ${out} FROM (
  -- Shared cost in a window where its meter recorded no usage: kept, under its rule, as unallocated.
  SELECT ${keys()}, 'unallocated' AS allocation, shared_rule AS rule, '' AS cost_tenant, billed AS billed_cost, effective AS effective_cost
  FROM {{ ref('finops_shared_groups') }} WHERE coalesce(total_weight, 0) <= 0
) unused_shared
UNION ALL
SELECT ${out} FROM (
  SELECT ${keys()}, 'unallocated' AS allocation, '' AS rule, '' AS cost_tenant, sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost
  FROM {{ ref('finops_bill_lines') }} WHERE direct_tenant = '' AND shared_rule = ''
  GROUP BY ${keys()}
) unclaimed`;
}

function reconciliation(): string {
  const invoice = INVOICE_KEYS.join(', ');
  const part = (allocation: string, amount: 'billed_cost' | 'effective_cost', name: string) =>
    // "ELSE x - x": a zero of the column's own type, which ClickHouse 18 needs for both branches.
    `sum(CASE WHEN allocation = '${allocation}' THEN ${amount} ELSE ${amount} - ${amount} END) AS ${name}`;
  return `SELECT ${invoice}, bill_rows, billed_total, effective_total,
  direct_billed, shared_billed, unallocated_billed, direct_effective, shared_effective, unallocated_effective,
  billed_total - (direct_billed + shared_billed + unallocated_billed) AS billed_difference,
  effective_total - (direct_effective + shared_effective + unallocated_effective) AS effective_difference
FROM (
  SELECT ${invoice}, count(*) AS bill_rows, sum(billed_cost) AS billed_total, sum(effective_cost) AS effective_total
  FROM {{ ref('finops_bill_lines') }} GROUP BY ${invoice}
) bill
LEFT JOIN (
  SELECT ${invoice},
    ${part('direct', 'billed_cost', 'direct_billed')}, ${part('shared', 'billed_cost', 'shared_billed')}, ${part('unallocated', 'billed_cost', 'unallocated_billed')},
    ${part('direct', 'effective_cost', 'direct_effective')}, ${part('shared', 'effective_cost', 'shared_effective')}, ${part('unallocated', 'effective_cost', 'unallocated_effective')}
  FROM {{ ref('finops_cost_allocation') }} GROUP BY ${invoice}
) allocated USING (${invoice})`;
}

function unitCosts(rules: AllocationRules): string {
  const metered = rules.shared.filter((r) => r.split.kind === 'meter');
  if (!metered.length) {
    return `SELECT tenant_id, rule, rule AS meter, currency, charge_window AS period_start, billed_cost AS cost, billed_cost AS usage, billed_cost AS unit_cost
FROM {{ ref('finops_cost_allocation') }} WHERE 1 = 0`;
  }
  const meterOf = `CASE ${metered.map((r) => `WHEN rule = ${modelText(r.name)} THEN ${modelText((r.split as { meter: string }).meter)}`).join(' ')} END`;
  return `SELECT tenant_id, rule, meter, currency, period_start, cost, usage, {{ prorate('cost', 'one', 'usage') }} AS unit_cost
FROM (
  SELECT tenant_id, rule, ${meterOf} AS meter, currency, {{ time_window('month', 'charge_window') }} AS period_start, sum(effective_cost) AS cost
  FROM {{ ref('finops_cost_allocation') }}
  WHERE allocation = 'shared' AND rule IN (${metered.map((r) => modelText(r.name)).join(', ')})
  GROUP BY tenant_id, rule, meter, currency, period_start
) cost
JOIN (
  SELECT tenant_id, shared_rule AS rule, charge_window AS period_start, sum(weight) AS usage, {{ to_decimal('one_unit') }} AS one
  FROM (SELECT tenant_id, shared_rule, charge_window, weight, 1 AS one_unit FROM {{ ref('finops_split_weights') }} WHERE charge_grain = 'month') monthly
  GROUP BY tenant_id, rule, period_start, one_unit
) usage_per_month USING (tenant_id, rule, period_start)`;
}
