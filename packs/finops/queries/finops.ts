import { fromUnits, toUnits, type Row, type Warehouse } from '../../../kernel/warehouse/index.ts';
import { raw, sql, TENANT_ZERO, Where, type SqlFragment, type TenantScope } from '../../../platform/tenancy/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';

/** `part ÷ whole` as a percentage with 4 decimals, from exact decimals; null when whole is 0. */
export function percent(part: bigint, whole: bigint): string | null {
  if (whole === 0n) return null;
  const scaled = (part * 1_000_000n) / whole;
  const abs = scaled < 0n ? -scaled : scaled;
  return `${scaled < 0n ? '-' : ''}${abs / 10_000n}.${(abs % 10_000n).toString().padStart(4, '0')}`;
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

export function periodRange(period: string): [Date, Date] {
  if (!PERIOD.test(period)) throw new DomainError('QUERY_INVALID', `period must be YYYY-MM; got "${period}".`);
  const [year, month] = period.split('-').map(Number) as [number, number];
  return [new Date(Date.UTC(year, month - 1, 1)), new Date(Date.UTC(year, month, 1))];
}

/**
 * The cost lines a bill owner sees. The platform operator's bills are split over every tenant by the
 * platform's allocation rules; another owner's bills are attributed to itself only (the allocation models),
 * and its reads keep only what is attributed to itself (and, where unallocated cost is shown, the unallocated
 * line) as well, should a model ever name another tenant on its bill.
 */
export function ownCostOnly(owner: string, platformTenant: string, withUnallocated = false): SqlFragment {
  if (owner === platformTenant) return raw('1 = 1');
  return withUnallocated ? sql`cost_tenant IN (${owner}, '')` : sql`cost_tenant = ${owner}`;
}

export async function assertBuilt(warehouse: Pick<Warehouse, 'hasRelation'>, relation: string): Promise<void> {
  if (!(await warehouse.hasRelation(relation))) throw new DomainError('FINOPS_NOT_BUILT', `${relation} does not exist yet.`);
}

const text = (row: Row, key: string) => String(row[key] ?? '');
const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

export interface ReconciliationLine {
  billing_account_id: string;
  provider: string;
  invoice_id: string;
  billing_period_start: string;
  currency: string;
  bill_rows: number;
  billed_total: string;
  effective_total: string;
  direct_billed: string;
  shared_billed: string;
  unallocated_billed: string;
  direct_effective: string;
  shared_effective: string;
  unallocated_effective: string;
  billed_difference: string;
  effective_difference: string;
  /** Both differences are zero: every cent is on a direct, shared or unallocated line. */
  balanced: boolean;
  /** Share of EffectiveCost attributed to a tenant (direct + shared), in percent. */
  coverage_percent: string | null;
}

/** Per billing account × provider × invoice (or billing period) × currency, the bill against its attribution. */
export async function readReconciliation(scope: TenantScope, period?: string): Promise<ReconciliationLine[]> {
  await assertBuilt(scope, 'finops_reconciliation');
  const where = new Where();
  if (period) {
    const [from, to] = periodRange(period);
    where.add('billing_period_start >= ? AND billing_period_start < ?', from, to);
  }
  const rows = await scope.query(
    sql`SELECT * FROM ${scope.table('finops_reconciliation', { where: where.toSql() })} ORDER BY billing_period_start, account, provider_name, invoice, currency`,
  );
  return rows.map((r) => {
    const direct = toUnits(r.direct_effective);
    const shared = toUnits(r.shared_effective);
    const effective = toUnits(r.effective_total);
    return {
      billing_account_id: text(r, 'account'),
      provider: text(r, 'provider_name'),
      invoice_id: text(r, 'invoice'),
      billing_period_start: iso(r.billing_period_start),
      currency: text(r, 'currency'),
      bill_rows: Number(r.bill_rows),
      ...Object.fromEntries(
        ['billed_total', 'effective_total', 'direct_billed', 'shared_billed', 'unallocated_billed', 'direct_effective', 'shared_effective',
          'unallocated_effective', 'billed_difference', 'effective_difference'].map((k) => [k, fromUnits(toUnits(r[k]))]),
      ),
      balanced: toUnits(r.billed_difference) === 0n && toUnits(r.effective_difference) === 0n,
      coverage_percent: percent(direct + shared, effective),
    } as ReconciliationLine;
  });
}

export interface AttributionLine {
  cost_tenant: string;
  allocation: string;
  currency: string;
  billed_cost: string;
  effective_cost: string;
}

/**
 * Cost per tenant (and the unallocated line) for charges in `period`: corrections count in the period they correct.
 * A bill owner other than the platform operator sees its own line and the unallocated one only (`ownCostOnly`).
 */
export async function readAttribution(scope: TenantScope, period: string, platformTenant = TENANT_ZERO) {
  await assertBuilt(scope, 'finops_cost_allocation');
  const [from, to] = periodRange(period);
  const own = ownCostOnly(scope.tenant, platformTenant, true);
  const rows = await scope.query(
    sql`SELECT cost_tenant, allocation, currency, sum(billed_cost) AS billed, sum(effective_cost) AS effective
     FROM ${scope.table('finops_cost_allocation', { where: sql`charge_window >= ${from} AND charge_window < ${to} AND ${own}` })}
     GROUP BY cost_tenant, allocation, currency ORDER BY currency, allocation, cost_tenant`,
  );
  const lines: AttributionLine[] = rows.map((r) => ({
    cost_tenant: text(r, 'cost_tenant') || 'unallocated',
    allocation: text(r, 'allocation'),
    currency: text(r, 'currency'),
    billed_cost: fromUnits(toUnits(r.billed)),
    effective_cost: fromUnits(toUnits(r.effective)),
  }));
  const total = lines.reduce((a, l) => a + toUnits(l.effective_cost), 0n);
  const attributed = lines.filter((l) => l.allocation !== 'unallocated').reduce((a, l) => a + toUnits(l.effective_cost), 0n);
  return { period, lines, effective_total: fromUnits(total), attributed: fromUnits(attributed), coverage_percent: percent(attributed, total) };
}

export const COST_GROUPS = ['service', 'pack', 'day'] as const;
export type CostGroup = (typeof COST_GROUPS)[number];

/** One tenant's attributed cost (EffectiveCost) between `from` and `to`, by service, pack or day. */
export async function readTenantCost(scope: TenantScope, costTenant: string, options: { from?: Date; to?: Date; groupBy?: CostGroup }) {
  await assertBuilt(scope, 'finops_cost_allocation');
  const where = new Where().add('cost_tenant = ?', costTenant).addIf(options.from, 'charge_window >= ?').addIf(options.to, 'charge_window < ?');
  const group = raw({ service: 'service', pack: 'pack', day: 'charge_window' }[options.groupBy ?? 'service']);
  const rows = await scope.query(
    sql`SELECT ${group} AS grp, currency, sum(billed_cost) AS billed, sum(effective_cost) AS effective
     FROM ${scope.table('finops_cost_allocation', { where: where.toSql() })} GROUP BY ${group}, currency ORDER BY ${group}, currency`,
  );
  const lines = rows.map((r) => ({
    [options.groupBy ?? 'service']: r.grp instanceof Date ? r.grp.toISOString().slice(0, 10) : text(r, 'grp') || (options.groupBy === 'pack' ? 'unassigned' : ''),
    currency: text(r, 'currency'),
    billed_cost: fromUnits(toUnits(r.billed)),
    effective_cost: fromUnits(toUnits(r.effective)),
  }));
  return { tenant: costTenant, group_by: options.groupBy ?? 'service', lines, effective_total: fromUnits(lines.reduce((a, l) => a + toUnits(l.effective_cost), 0n)) };
}

export interface AccuracyReport {
  simulation_id: string;
  true_total: string;
  absolute_error: string;
  /** 1 − Σ|attributed − true| ÷ Σ true, in percent. */
  accuracy_percent: string | null;
}

/** Attribution against the latest simulation's true costs, per tenant and month; undefined when there is no simulation. */
export async function readSimulationAccuracy(scope: TenantScope): Promise<AccuracyReport | undefined> {
  if (!(await scope.hasRelation('finops_cost_allocation'))) return undefined;
  const latest = await scope.query<{ simulation_id: string }>(
    sql`SELECT simulation_id FROM ${scope.table('finops_true_costs')} ORDER BY simulation_id DESC LIMIT 1`,
  );
  if (!latest[0]) return undefined;
  const simulation = latest[0].simulation_id;
  const truth = await scope.query(
    sql`SELECT cost_tenant, period_start, true_cost FROM ${scope.table('finops_true_costs', { where: sql`simulation_id = ${simulation}` })}`,
  );
  const attributed = await scope.query(
    sql`SELECT cost_tenant, ${raw(scope.dialect.timeWindow('month', 'charge_window'))} AS period_start, sum(effective_cost) AS cost
     FROM ${scope.table('finops_cost_allocation', { where: raw("cost_tenant != ''") })} GROUP BY cost_tenant, period_start`,
  );
  const key = (r: Row) => `${text(r, 'cost_tenant')}|${iso(r.period_start).slice(0, 7)}`;
  const got = new Map(attributed.map((r) => [key(r), toUnits(r.cost)]));
  let error = 0n;
  let total = 0n;
  for (const row of truth) {
    const expected = toUnits(row.true_cost);
    const actual = got.get(key(row)) ?? 0n;
    got.delete(key(row));
    total += expected;
    error += expected > actual ? expected - actual : actual - expected;
  }
  // Cost attributed to a tenant the simulation gave none is error too.
  const tenants = new Set(truth.map((r) => text(r, 'cost_tenant')));
  for (const [k, v] of got) if (tenants.has(k.split('|')[0]!)) error += v < 0n ? -v : v;
  return {
    simulation_id: simulation,
    true_total: fromUnits(total),
    absolute_error: fromUnits(error),
    accuracy_percent: total === 0n ? null : percent(total - error, total),
  };
}

/** The figures a build prints: invoices reconciled, coverage, and accuracy when a simulation is loaded. */
export async function readFinopsSummary(scope: TenantScope) {
  if (!(await scope.hasRelation('finops_reconciliation'))) return { built: false as const };
  const invoices = await readReconciliation(scope);
  const effective = invoices.reduce((a, i) => a + toUnits(i.effective_total), 0n);
  const attributed = invoices.reduce((a, i) => a + toUnits(i.direct_effective) + toUnits(i.shared_effective), 0n);
  return {
    built: true as const,
    invoices: invoices.length,
    balanced: invoices.filter((i) => i.balanced).length,
    unbalanced: invoices.filter((i) => !i.balanced).map((i) => `${i.billing_account_id} ${i.invoice_id || i.billing_period_start} ${i.currency}`),
    coverage_percent: percent(attributed, effective),
    accuracy: await readSimulationAccuracy(scope),
  };
}

/** The true per-tenant costs of a `companyos simulate` run, which accuracy is measured against. */
export async function recordTrueCosts(
  warehouse: Warehouse,
  tenant: string,
  simulationId: string,
  rows: { tenant: string; period: string; currency: string; cost: string }[],
): Promise<void> {
  await warehouse.insert(
    'finops_true_costs',
    ['tenant_id', 'simulation_id', 'cost_tenant', 'period_start', 'billing_currency', 'true_cost'],
    rows.map((r) => [tenant, simulationId, r.tenant, new Date(`${r.period}-01T00:00:00Z`), r.currency, r.cost]),
  );
}
