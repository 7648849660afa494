import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DECIMAL_AGGREGATIONS, meterModelName, parseMeters, type Meter } from './index.ts';
import { TIME_UNITS, type TimeUnit } from '../../kernel/warehouse/index.ts';
import { DomainError } from '../../kernel/errors/index.ts';
import { raw, sql, Where, type TenantScope } from '../../platform/tenancy/index.ts';

export interface UsageQuery {
  meter: string;
  from?: Date;
  to?: Date;
  window?: TimeUnit;
  groupBy: string[];
}

export interface UsageReport {
  tenant: string;
  meter: string;
  aggregation: Meter['aggregation'];
  window: TimeUnit;
  group_by: string[];
  rows: Record<string, string | number>[];
}

/** How a meter's windows roll up into coarser ones, or fewer dimensions: UNIQUE_COUNT does not. */
const AGGREGATE_AGAIN = { COUNT: 'sum(value)', SUM: 'sum(value)', MAX: 'max(value)', LATEST: 'argMax(value, window_start)', UNIQUE_COUNT: undefined };

/** One tenant's usage of a meter, by window and chosen dimensions, from the meter's built table. */
export async function readUsage(scope: TenantScope, modelsDir: string, query: UsageQuery): Promise<UsageReport> {
  const { meters } = parseMeters('meters.yaml', await readFile(join(modelsDir, 'meters.yaml'), 'utf8').catch(() => 'meters: []'));
  const meter = meters.find((m) => m.name === query.meter);
  if (!meter) throw new DomainError('METER_UNKNOWN', `Known meters: ${meters.map((m) => m.name).join(', ') || 'none'}.`);
  const unknown = query.groupBy.filter((d) => !meter.groupBy.includes(d));
  if (unknown.length) throw new DomainError('QUERY_INVALID', `${meter.name} is grouped by ${meter.groupBy.join(', ') || 'nothing'}; not by ${unknown.join(', ')}.`);
  const window = query.window ?? meter.window;
  if (TIME_UNITS.indexOf(window) < TIME_UNITS.indexOf(meter.window)) {
    throw new DomainError('QUERY_INVALID', `${meter.name} is metered per ${meter.window}; it cannot be read per ${window}.`);
  }
  const again = AGGREGATE_AGAIN[meter.aggregation];
  if (!again && (window !== meter.window || query.groupBy.length !== meter.groupBy.length)) {
    throw new DomainError('QUERY_INVALID', `${meter.name} counts distinct values, which do not add up: read it per ${meter.window} with every dimension.`);
  }
  const table = meterModelName(meter);
  if (!(await scope.hasRelation(table))) throw new DomainError('METER_NOT_BUILT', `Run \`companyos build -s +tag:meters\` first.`);

  const bucket = window === meter.window ? 'window_start' : scope.dialect.timeWindow(window, 'window_start');
  const dims = query.groupBy.map((d) => `dim_${d}`);
  const where = new Where().addIf(query.from, 'window_start >= ?').addIf(query.to, 'window_start < ?');
  const groups = raw(['bucket', ...dims].join(', '));
  const rows = await scope.query(
    sql`SELECT ${raw(bucket)} AS bucket${raw(dims.map((d) => `, ${d}`).join(''))}, ${raw(again ?? 'max(value)')} AS value
     FROM ${scope.table(table, { deduplicated: true })} WHERE ${where.toSql()}
     GROUP BY ${groups} ORDER BY ${groups}`,
  );
  return {
    tenant: scope.tenant,
    meter: meter.name,
    aggregation: meter.aggregation,
    window,
    group_by: query.groupBy,
    rows: rows.map((r) => ({
      window_start: (r.bucket as Date).toISOString(),
      ...Object.fromEntries(query.groupBy.map((d) => [d, String(r[`dim_${d}`])])),
      // Decimal meters answer with decimal strings, as money travels everywhere else.
      value: DECIMAL_AGGREGATIONS.has(meter.aggregation) ? String(r.value) : Number(r.value),
    })),
  };
}
