import { parse as parseYaml } from 'yaml';
import { TIME_UNITS, type TimeUnit } from '../../kernel/warehouse/index.ts';
import { modelText, type ModelFile, type ModelProblem } from '../../platform/transforms/index.ts';
import { TOUCHED_EVENTS_MODEL, TOUCHED_LOOKBACK_SECONDS, touchedEventsModel } from './touched-events.ts';

export const AGGREGATIONS = ['COUNT', 'SUM', 'MAX', 'LATEST', 'UNIQUE_COUNT'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Aggregations over a decimal value: their meters hold DECIMAL(38, 10), the others whole numbers. */
export const DECIMAL_AGGREGATIONS: ReadonlySet<Aggregation> = new Set(['SUM', 'MAX', 'LATEST']);


/** Event columns a meter can group by; any other dimension is a key of the event's `data`. */
const COLUMN_DIMENSIONS = new Set(['plan', 'feature', 'flow_type', 'policy_version', 'sla_tier', 'source', 'subject']);

export interface Meter {
  name: string;
  eventType: string;
  aggregation: Aggregation;
  /** Key of `data` that SUM, MAX, LATEST (as DECIMAL(38, 10)) and UNIQUE_COUNT (as text) read. */
  value?: string;
  /** Dimensions besides tenant_id. */
  groupBy: string[];
  window: TimeUnit;
}

const NAME = /^[a-z][a-z0-9_.]*$/;
const KEY = /^[a-z_][a-z0-9_]*$/;

/** Reads `meters.yaml` (`meters: [{name, event_type, aggregation, value, group_by, window}]`), every problem at once. */
export function parseMeters(path: string, text: string): { meters: Meter[]; problems: ModelProblem[] } {
  const problems: ModelProblem[] = [];
  const problem = (message: string) => problems.push({ path, message });
  let doc: { meters?: unknown };
  try {
    doc = (parseYaml(text) ?? {}) as { meters?: unknown };
  } catch (error) {
    problem(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    return { meters: [], problems };
  }
  if (!Array.isArray(doc.meters)) {
    problem('expected `meters:` with a list of meters');
    return { meters: [], problems };
  }
  const meters = doc.meters.flatMap((raw: Record<string, unknown>, i): Meter[] => {
    const where = `meters[${i}]${typeof raw?.name === 'string' ? ` (${raw.name})` : ''}`;
    const before = problems.length;
    const name = String(raw?.name ?? '');
    if (!NAME.test(name)) problem(`${where}: name must be lowercase letters, digits, "_" and "."`);
    const eventType = String(raw?.event_type ?? '');
    if (!eventType) problem(`${where}: event_type is required`);
    const aggregation = String(raw?.aggregation ?? 'COUNT').toUpperCase() as Aggregation;
    if (!AGGREGATIONS.includes(aggregation)) problem(`${where}: aggregation must be one of ${AGGREGATIONS.join(', ')}`);
    const value = raw?.value === undefined ? undefined : String(raw.value);
    if (aggregation !== 'COUNT' && (!value || !KEY.test(value))) problem(`${where}: ${aggregation} needs value: <key of data>`);
    const groupBy = Array.isArray(raw?.group_by) ? raw.group_by.map(String) : [];
    for (const dimension of groupBy) if (!KEY.test(dimension)) problem(`${where}: group_by "${dimension}" is not a plain name`);
    const window = String(raw?.window ?? 'hour') as TimeUnit;
    if (!TIME_UNITS.includes(window)) problem(`${where}: window must be one of ${TIME_UNITS.join(', ')}`);
    return problems.length > before ? [] : [{ name, eventType, aggregation, value, groupBy, window }];
  });
  const seen = new Set<string>();
  const models = new Map<string, string>();
  for (const meter of meters) {
    if (seen.has(meter.name)) problem(`meter "${meter.name}" is declared twice`);
    seen.add(meter.name);
    for (const model of [meterModelName(meter), ...(meter.aggregation === 'UNIQUE_COUNT' ? [distinctValuesModelName(meter)] : [])]) {
      if (model === TOUCHED_EVENTS_MODEL) problem(`meter "${meter.name}" would build the model ${model}, which the meters share: rename it`);
      const other = models.get(model);
      if (other !== undefined && other !== meter.name) problem(`meters "${other}" and "${meter.name}" would both build the model ${model}`);
      models.set(model, meter.name);
    }
  }
  return { meters, problems };
}

/** The model a meter becomes: `meter_<name>`, e.g. `meter_policy_decisions_total`. */
export function meterModelName(meter: Pick<Meter, 'name'>): string {
  return `meter_${meter.name.replaceAll('.', '_')}`;
}

/**
 * How a meter's value for a key combines its earlier value with what arrived: the aggregation again (LATEST: the
 * value of the later of the two events, by the `latest_at` column it keeps for that). UNIQUE_COUNT cannot.
 */
const ACCUMULATE: Partial<Record<Aggregation, string>> = {
  COUNT: 'CAST(sum(value) AS BIGINT)', SUM: 'sum(value)', MAX: 'max(value)', LATEST: 'argMax(value, latest_at)',
};

/**
 * A meter as an incremental model merged on (window, tenant, dimensions);
 * LATEST is the value of the event with the latest event time in the window. An
 * event that arrives after its window was built is counted in the next run:
 * - where raw rows are stored once (`unique_rows()`, DuckDB), COUNT, SUM, MAX
 *   and LATEST read only the events that arrived since the meter's watermark
 *   and fold their aggregate into the rows already built for the keys they
 *   touch (a LATEST meter keeps its value's event time, `latest_at`, for that);
 * - otherwise (duplicates wait for a merge: ClickHouse), every (window,
 *   tenant) the arrivals fall in is recomputed from its events, so a late
 *   event costs one tenant's window, not every tenant's; the arrivals are
 *   what was stamped after the watermark less an hour (`reread_watermark`),
 *   since there rows are not stored in the order they are stamped; the rows
 *   come from the build's one read of the touched events (`touchedEventsModel`)
 *   when that reaches back far enough, from the events otherwise;
 * - a UNIQUE_COUNT meter (an earlier count cannot be combined with new values)
 *   counts a set of its distinct values, `meter_<name>__values`, that each
 *   build adds what arrived to, on either engine.
 * It reads the raw events, not the `stg_events` view: its filter (type, window,
 * tenant: sort-key columns) has to sit inside the deduplicated read, where
 * ClickHouse applies it before FINAL merges every column (0.18 s against 1.7–2.5 s
 * a meter at 2M events); the touched windows come from the rows as stored,
 * duplicates included, which DISTINCT does not mind.
 */
function meterModels(meter: Meter, path: string): ModelFile[] {
  return meter.aggregation === 'UNIQUE_COUNT' ? [distinctValuesModel(meter, path), uniqueCountModel(meter, path)] : [meterModel(meter, path)];
}

/** Every model the meters become: each meter's, and the touched events the recomputing meters share (none without one). */
export function meterProjectModels(meters: Meter[], path: string): ModelFile[] {
  const recomputing = meters.filter((meter) => meter.aggregation !== 'UNIQUE_COUNT');
  const dimensionColumns = [...new Set(recomputing.flatMap((meter) => meter.groupBy.filter((d) => COLUMN_DIMENSIONS.has(d))))];
  return [...(recomputing.length ? [touchedEventsModel(recomputing, dimensionColumns, path)] : []), ...meters.flatMap((meter) => meterModels(meter, path))];
}

/** The name of the set a UNIQUE_COUNT meter counts: `meter_<name>__values`. */
export function distinctValuesModelName(meter: Pick<Meter, 'name'>): string {
  return `${meterModelName(meter)}__values`;
}

const meterKeys = (meter: Meter) => ['window_start', 'tenant_id', ...meter.groupBy.map((d) => `dim_${d}`)];
const dimensionSql = (d: string) => (COLUMN_DIMENSIONS.has(d) ? `coalesce(e.${d}, '')` : `{{ json_string('data', '${d}') }}`);
const meterConfig = (meter: Meter, uniqueKey: string[], description: string): ModelFile['config'] => ({
  materialized: 'incremental',
  uniqueKey,
  tags: ['meters'],
  description,
  columns: { tenant_id: { description: '', tests: [{ name: 'not_null', severity: 'error' }] } },
});

/**
 * The distinct values a UNIQUE_COUNT meter counts, one row per (window, tenant, dimensions, value): what arrived
 * since the last build is added to it. A copy of an event adds nothing (the row is there), so this holds on
 * ClickHouse too, read from the events as stored.
 */
function distinctValuesModel(meter: Meter, path: string): ModelFile {
  const keys = meterKeys(meter);
  const body = `SELECT ${[...keys, 'metered AS value', 'max(ingested_at) AS last_ingested_at'].join(', ')}
FROM (
  SELECT
    ${[`{{ time_window('${meter.window}', 'time') }} AS window_start`, 'e.tenant_id AS tenant_id', ...meter.groupBy.map((d) => `${dimensionSql(d)} AS dim_${d}`), `{{ json_string('data', '${meter.value}') }} AS metered`, 'e.ingested_at AS ingested_at'].join(',\n    ')}
  FROM {{ raw_rows('events') }} AS e WHERE e.type = ${modelText(meter.eventType)}
{% if is_incremental() %}
    AND e.ingested_at > (SELECT {{ reread_watermark('last_ingested_at') }} FROM {{ this }})
{% endif %}
) values_of_type
GROUP BY ${[...keys, 'metered'].join(', ')}`;
  return {
    name: distinctValuesModelName(meter),
    path,
    outputColumns: [...keys, 'value', 'last_ingested_at'],
    body,
    refs: [],
    sources: [['raw', 'events']],
    config: meterConfig(meter, [...keys, 'value'], `The distinct ${meter.value} values of ${meter.eventType} per ${meter.window} that ${meterModelName(meter)} counts`),
  };
}

/** A UNIQUE_COUNT meter: its set's rows counted, for the keys whose set gained rows since the last build. */
function uniqueCountModel(meter: Meter, path: string): ModelFile {
  const keys = meterKeys(meter).join(', ');
  const values = `{{ ref('${distinctValuesModelName(meter)}') }}`;
  const body = `SELECT ${keys}, count(*) AS value, max(last_ingested_at) AS last_ingested_at
FROM ${values} seen
{% if is_incremental() %}
WHERE (${keys}) IN (
  SELECT ${keys} FROM ${values} arrived WHERE last_ingested_at > (SELECT {{ reread_watermark('last_ingested_at') }} FROM {{ this }})
)
{% endif %}
GROUP BY ${keys}`;
  return {
    name: meterModelName(meter),
    path,
    meter: meter.name,
    outputColumns: [...meterKeys(meter), 'value', 'last_ingested_at'],
    body,
    refs: [distinctValuesModelName(meter)],
    sources: [],
    config: meterConfig(meter, meterKeys(meter), describe(meter)),
  };
}

const describe = (meter: Meter) =>
  `${meter.aggregation} of ${meter.eventType} per ${meter.window}${meter.groupBy.length ? `, by ${meter.groupBy.join(', ')}` : ''}`;

/** What a meter aggregates per key from its events' `metered` values (UNIQUE_COUNT: `uniqueCountModel`). */
const MEASURES: Record<Exclude<Aggregation, 'UNIQUE_COUNT'>, string> = {
  COUNT: 'count(*)',
  SUM: 'sum(metered)',
  MAX: 'max(metered)',
  // A NULL ordering key makes both engines pass over the row (DuckDB's arg_max, ClickHouse's -Null combinator).
  LATEST: 'argMax(metered, CASE WHEN metered IS NOT NULL THEN time END)',
};

function meterModel(meter: Meter, path: string): ModelFile {
  const window = `{{ time_window('${meter.window}', 'time') }}`;
  const decimal = DECIMAL_AGGREGATIONS.has(meter.aggregation);
  // The value is read once per event, in the inner query; the outer one aggregates.
  const metered = decimal ? `{{ json_decimal('data', '${meter.value}') }}` : 'NULL';
  const measure = MEASURES[meter.aggregation as Exclude<Aggregation, 'UNIQUE_COUNT'>];
  const type = modelText(meter.eventType);
  const dims = meter.groupBy.map((d) => `dim_${d}`);
  const keys = ['window_start', 'tenant_id', ...dims].join(', ');
  // The fold adds what it reads to what was built, so it must not read a row twice: the exact watermark (it runs only
  // where stamps follow commit order). A recomputation may: it reads back where rows are stored out of stamp order.
  const foldSince = `(SELECT {{ watermark('last_ingested_at') }} FROM {{ this }})`;
  const since = `(SELECT {{ reread_watermark('last_ingested_at') }} FROM {{ this }})`;
  // An event whose value is absent or not a plain decimal is not metered. HAVING, not WHERE: a WHERE would be
  // pushed below the incremental (window, tenant) filter and parse every event's JSON.
  const having = decimal ? '\nHAVING count(metered) > 0' : '';
  const latest = meter.aggregation === 'LATEST';
  const outputColumns = ['window_start', 'tenant_id', ...dims, 'value', 'last_ingested_at', ...(latest ? ['latest_at'] : [])];
  const inner = (from: string, filter: string) => `  SELECT
    ${[`${window} AS window_start`, 'e.tenant_id AS tenant_id', ...meter.groupBy.map((d) => `${dimensionSql(d)} AS dim_${d}`), `${metered} AS metered`, 'e.time AS time', 'e.ingested_at AS ingested_at'].join(',\n    ')}
  FROM ${from} e.type = ${type}${filter}`;
  const aggregatedOver = (rows: string) => `SELECT
  ${[
    'window_start', 'tenant_id', ...dims, `${measure} AS value`, 'max(ingested_at) AS last_ingested_at',
    ...(latest ? ['max(CASE WHEN metered IS NOT NULL THEN time END) AS latest_at'] : []),
  ].join(',\n  ')}
FROM (
${rows}
) events_of_type
GROUP BY ${keys}${having}`;
  const aggregated = (from: string, filter: string) => aggregatedOver(inner(from, filter));
  // The (window, tenant) pairs an arrival since `since` falls in, from `table` (its rows as stored: DISTINCT does not mind copies).
  const touched = (table: string, bound = '') => `(${window}, e.tenant_id) IN (
      SELECT DISTINCT ${window}, tenant_id FROM ${table} arrived
      WHERE arrived.type = ${type} AND arrived.ingested_at > ${since}${bound}
    )`;
  const shared = `{{ ref('${TOUCHED_EVENTS_MODEL}') }}`;
  // The touched events hold every row of the pairs this meter's arrivals touch when they reach back to its own
  // watermark and hold what it counted last (they are built in the same run, before it; a full refresh leaves them
  // empty): otherwise it reads the events itself. That read is bounded by a time range the condition makes empty or
  // whole, so that ClickHouse skips every part when it is not needed (a false condition alone is still read: 0.06
  // against 0.27 s a meter at 10M events); `if`, not CASE, which 18.16 does not fold into the range.
  const covered = `(SELECT {{ watermark_before('ingested_at', '${TOUCHED_LOOKBACK_SECONDS}') }} FROM ${shared}) <= ${since}
    AND (SELECT {{ watermark('ingested_at') }} FROM ${shared}) >= (SELECT {{ watermark('last_ingested_at') }} FROM {{ this }})`;
  // Both reads of the events (the rows and the pairs they touch) take the bound: the pairs alone read 3.5M rows a
  // shard at 10M events when they are not needed.
  const uncovered = (alias: string, indent: string) => `
${indent}AND ${alias}.time >= if(${covered}, {{ time_limit('latest') }}, {{ time_limit('earliest') }})
${indent}AND ${alias}.time <= if(${covered}, {{ time_limit('earliest') }}, {{ time_limit('latest') }})`;
  const recomputed = `{% if is_incremental() %}
${aggregatedOver(`${inner(`${shared} AS e WHERE`, `
    AND ${covered}
    AND ${touched(shared)}`)}
  UNION ALL
${inner(`{{ deduplicated_where_sort_key('events', 'e') }}`, `${uncovered('e', '    ')}
    AND ${touched(`{{ raw_rows('events') }}`, uncovered('arrived', '        '))}`)}`)}
{% else %}
${aggregated(`{{ deduplicated_where_sort_key('events', 'e') }}`, '')}
{% endif %}`;
  const accumulate = ACCUMULATE[meter.aggregation];
  const folded = outputColumns.join(', ');
  // The built rows of the keys that arrived, the window's range tested first: DuckDB then reads only those windows'
  // rows into the key test, and builds its hash on the arrived keys, not on the meter (13–40 ms against 30–75 ms
  // for the key test alone at 10M events).
  const body = accumulate
    ? `{% if is_incremental() and unique_rows() %}
WITH arrived AS (
${aggregated(`{{ raw_rows('events') }} AS e WHERE`, ` AND e.ingested_at > ${foldSince}`)}
)
SELECT ${keys}, ${accumulate} AS value, max(last_ingested_at) AS last_ingested_at${latest ? ', max(latest_at) AS latest_at' : ''}
FROM (
  SELECT ${folded} FROM arrived
  UNION ALL
  SELECT ${folded} FROM {{ this }} built
  WHERE window_start BETWEEN (SELECT min(window_start) FROM arrived) AND (SELECT max(window_start) FROM arrived)
    AND (${keys}) IN (SELECT ${keys} FROM arrived)
) folded
GROUP BY ${keys}
{% else %}
${recomputed}
{% endif %}`
    : recomputed;
  return {
    name: meterModelName(meter),
    path,
    meter: meter.name,
    outputColumns,
    body,
    refs: [TOUCHED_EVENTS_MODEL],
    sources: [['raw', 'events']],
    config: meterConfig(meter, meterKeys(meter), describe(meter)),
  };
}
