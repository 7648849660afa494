import { WarehouseError, type Dialect, type TimeUnit } from '../../kernel/warehouse/index.ts';
import type { CompiledProject } from './compile-project.ts';
import type { ModelFile } from './model-file.ts';
import { modelText, renderTexts } from './model-text.ts';

export interface RenderContext {
  dialect: Dialect;
  project: CompiledProject;
  /** True when an incremental model adds to its existing table (not a first or full-refresh build). */
  isIncremental: boolean;
  /** True in a `--full-refresh` build (dbt's `flags.FULL_REFRESH`): what only incremental builds read can be left out. */
  fullRefresh?: boolean;
  /**
   * The tenant the build runs for, `{{ build_tenant() }}`: builds run in the platform operator's tenant, so a model
   * tells the operator's rows from other tenants' by it (the FinOps splits). A model naming it fails to render without.
   */
  buildTenant?: string;
}

function timeLimitOf(which: string): 'earliest' | 'latest' {
  if (which !== 'earliest' && which !== 'latest') throw new WarehouseError(`time_limit takes 'earliest' or 'latest', not '${which}'`);
  return which;
}

/** Dialect macros: two quoted arguments, the engine's SQL out. */
const MACROS = {
  json_string: (dialect: Dialect, column: string, key: string) => dialect.jsonString(column, key),
  json_number: (dialect: Dialect, column: string, key: string) => dialect.jsonNumber(column, key),
  json_is_number: (dialect: Dialect, column: string, key: string) => dialect.jsonIsNumber(column, key),
  json_decimal: (dialect: Dialect, column: string, key: string) => dialect.jsonDecimal(column, key),
  time_window: (dialect: Dialect, unit: string, column: string) => dialect.timeWindow(unit as TimeUnit, column),
  five_minute_window: (dialect: Dialect, column: string) => dialect.fiveMinuteWindow(column),
  seconds_since: (dialect: Dialect, column: string) => dialect.secondsSince(column),
  quantile: (dialect: Dialect, column: string, q: string) => dialect.quantile(column, Number(q)),
  regexp_extract: (dialect: Dialect, column: string, pattern: string) => dialect.regexpExtract(column, pattern),
  regexp_matches: (dialect: Dialect, column: string, pattern: string) => dialect.regexpMatches(column, pattern),
  prorate: (dialect: Dialect, amount: string, weight: string, total: string) => dialect.prorate(amount, weight, total),
  to_decimal: (dialect: Dialect, column: string) => dialect.toDecimal(column),
  deduplicated_where_sort_key: (dialect: Dialect, table: string, alias: string) => dialect.deduplicatedWhereSortKey(table, alias),
  raw_rows: (dialect: Dialect, table: string) => dialect.relation(table),
  watermark: (dialect: Dialect, column: string) => dialect.watermark(column),
  reread_watermark: (dialect: Dialect, column: string) => dialect.rereadWatermark(column),
  watermark_before: (dialect: Dialect, column: string, seconds: string) => dialect.watermarkBefore(column, Number(seconds)),
  time_limit: (dialect: Dialect, which: string) => dialect.timeLimit(timeLimitOf(which)),
};
const MACRO = new RegExp(`\\{\\{\\s*(${Object.keys(MACROS).join('|')})\\(\\s*'([^']+)'\\s*(?:,\\s*'([^']+)'\\s*)?(?:,\\s*'([^']+)'\\s*)?\\)\\s*\\}\\}`, 'g');
/** The tests a `{% if %}` block may make, `and`-ed and each possibly `not`-ed. */
const CONDITION = '(?:not\\s+)?(?:is_incremental|unique_rows|full_refresh)\\(\\)';
/** Text holding no `{% if`: the innermost blocks are matched first, so blocks nest. */
const FLAT = '((?:(?!\\{%-?\\s*if\\s)[\\s\\S])*?)';
const IF_BLOCK = new RegExp(
  `\\{%-?\\s*if\\s+(${CONDITION}(?:\\s+and\\s+${CONDITION})*)\\s*-?%\\}${FLAT}(?:\\{%-?\\s*else\\s*-?%\\}${FLAT})?\\{%-?\\s*endif\\s*-?%\\}`,
  'g',
);

/** The raw tables `raw_rows` and `deduplicated_where_sort_key` name in `sql`: a model that uses them lists them as its sources. */
export function tablesReadByMacros(sql: string): string[] {
  return [...sql.matchAll(/\{\{\s*(?:raw_rows|deduplicated_where_sort_key)\(\s*'([^']+)'/g)].map((match) => match[1]!);
}

/**
 * The model's SQL as the engine runs it, with dbt's syntax: `{{ ref('m') }}`
 * becomes the model's relation (a deduplicated read for models merged by key),
 * `{{ source('raw', 't') }}` a deduplicated read of the raw table,
 * an ephemeral model's SQL inlined as a subquery,
 * `{{ this }}` the model's own table, `{% if is_incremental() %} … {% else %} … {% endif %}`
 * keeps the first part only on incremental runs (`unique_rows()`: only where raw rows are stored
 * once, `Dialect.uniqueRows`; `full_refresh()`: in a full-refresh build; tests may be `and`-ed and `not`-ed; blocks
 * nest), and the dialect macros `json_string`,
 * `json_number`, `json_decimal` and `time_window` become the engine's SQL.
 * For reads of a raw table that must be fast on ClickHouse (the meters'),
 * `FROM {{ deduplicated_where_sort_key('events', 'e') }} <condition on sort-key
 * columns>` filters before deduplicating, and `{{ raw_rows('events') }}` is
 * the table as stored, duplicates included (for DISTINCT and max, which they
 * cannot change); `{{ watermark('c') }}` is `max(c)`, the epoch over no rows.
 * Neither registers a source: a model using them lists its sources itself.
 * `{{ text('…') }}` (`modelText`) is a text literal, rendered last.
 */
export function renderModel(model: ModelFile, context: RenderContext): string {
  // Texts last: a rendered one may hold anything, template syntax included.
  return renderTexts(renderTemplate(model, context), context.dialect);
}

/** `renderModel`, its `modelText` literals left encoded. */
function renderTemplate(model: ModelFile, context: RenderContext): string {
  const { dialect, project } = context;
  const holds = (test: string) => {
    const negated = test.startsWith('not');
    const value = test.includes('is_incremental') ? context.isIncremental : test.includes('full_refresh') ? context.fullRefresh === true : dialect.uniqueRows;
    return negated ? !value : value;
  };
  let sql = renderMacros(model.body, dialect);
  for (let before = ''; before !== sql; ) {
    before = sql;
    sql = sql.replace(IF_BLOCK, (_, condition: string, then: string, otherwise: string | undefined) =>
      condition.split(/\s+and\s+/).every(holds) ? then : (otherwise ?? ''));
  }
  return sql
    .replace(/\{\{\s*this\s*\}\}/g, dialect.relation(model.name))
    .replace(/\{\{\s*build_tenant\(\s*\)\s*\}\}/g, () => {
      if (context.buildTenant === undefined) throw new WarehouseError(`model ${model.name} reads build_tenant(), and this build runs for no tenant`);
      return modelText(context.buildTenant);
    })
    .replace(/\{\{\s*ref\(\s*'([^']+)'\s*\)\s*\}\}/g, (_, name: string) => {
      const target = project.models.get(name)!;
      if (target.config.materialized === 'ephemeral') return `(${renderTemplate(target, { ...context, isIncremental: false })})`;
      return mergedByKey(target) ? `(SELECT * FROM ${dialect.deduplicated(name)})` : dialect.relation(name);
    })
    .replace(/\{\{\s*source\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}/g, (_, _source: string, table: string) => `(SELECT * FROM ${dialect.deduplicated(table)})`)
    .trim()
    .replace(/;\s*$/, '');
}

/** The dialect macros in `sql` (`{{ time_window('day', 'time') }}` …) as the engine's SQL. */
export function renderMacros(sql: string, dialect: Dialect): string {
  return sql.replace(MACRO, (_, macro: keyof typeof MACROS, ...args: (string | undefined)[]) =>
    (MACROS[macro] as (d: Dialect, ...args: string[]) => string)(dialect, ...args.slice(0, 3).filter((a): a is string => typeof a === 'string')),
  );
}

/** An incremental model with a unique key: rows are replaced by key, so reads go through the dedupe. */
export function mergedByKey(model: ModelFile): boolean {
  return model.config.materialized === 'incremental' && model.config.uniqueKey.length > 0;
}
