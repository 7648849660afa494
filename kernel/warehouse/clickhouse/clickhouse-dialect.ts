import { assertIdentifier, clickHousePatternLiteral as patternLiteral, quantileOf, timeUnit, wholeSeconds } from '../identifier.ts';
import { JSON_DECIMAL, PRORATE_WEIGHT_UNITS, type Dialect } from '../warehouse.ts';
import { quoteString } from './clickhouse-values.ts';

const WINDOW_FUNCTIONS = { hour: 'toStartOfHour(%)', day: 'toStartOfDay(%)', month: "toDateTime(toStartOfMonth(%), 'UTC')" };

/**
 * How much later than its stamp (`ingested_at`: when the event was received, to the second) a row may be stored and
 * still be read by the next incremental build of a model that reads from `rereadWatermark` (meters, tenant days).
 * Several writers stamp and store rows in their own order; a row stored later than this is counted by the next
 * `--full-refresh`.
 */
export const LATE_STAMP_SECONDS = 3600;

/** greatest() keeps the subtraction from going below the epoch, where DateTime would wrap around to 2106. */
function watermarkBefore(column: string, seconds: number): string {
  const whole = wholeSeconds(seconds);
  return `(greatest(max(${assertIdentifier(column)}), toDateTime(${whole})) - ${whole})`;
}

/** ClickHouse 18's SQL for the places engines differ. */
export const CLICKHOUSE_DIALECT: Dialect = {
  deduplicated: (table) => `${assertIdentifier(table)} FINAL`,
  deduplicatedWhereSortKey: (table, alias) => `${assertIdentifier(table)} AS ${assertIdentifier(alias)} FINAL PREWHERE`,
  uniqueRows: false,
  backslashEscapes: true,
  // max of no rows is already the epoch: aggregates of nothing give the type's default.
  watermark: (column) => `max(${assertIdentifier(column)})`,
  rereadWatermark: (column) => watermarkBefore(column, LATE_STAMP_SECONDS),
  watermarkBefore,
  timeLimit: (which) => (which === 'earliest' ? "toDateTime(0, 'UTC')" : "toDateTime(4294967295, 'UTC')"),
  relation: (name) => assertIdentifier(name),
  // ifNull: a Nullable JSON column would make the result Nullable, which a sorting key refuses.
  // A string unescaped, null as '', any other value as its JSON text, as DuckDB's json_extract_string reads them
  // (visitParamExtractString alone gives '' for a number: `"status":500` would group with no status at all).
  jsonString: (column, key) => {
    const source = `ifNull(${assertIdentifier(column)}, ''), '${assertIdentifier(key)}'`;
    const raw = `visitParamExtractRaw(${source})`;
    return `multiIf(substring(${raw}, 1, 1) = '"', visitParamExtractString(${source}), ${raw} = 'null', '', ${raw})`;
  },
  jsonNumber: (column, key) => `visitParamExtractFloat(ifNull(${assertIdentifier(column)}, ''), '${assertIdentifier(key)}')`,
  // The raw value as written (data is stored as JSON.stringify wrote it: no spaces); a string keeps its quotes.
  jsonIsNumber: (column, key) => `match(visitParamExtractRaw(ifNull(${assertIdentifier(column)}, ''), '${assertIdentifier(key)}'), '^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$')`,
  jsonDecimal: (column, key) => {
    const text = `replaceAll(visitParamExtractRaw(ifNull(${assertIdentifier(column)}, ''), '${assertIdentifier(key)}'), '"', '')`;
    const plain = `match(${text}, '^${JSON_DECIMAL}$')`;
    // ClickHouse evaluates both branches of if(), so the cast gets a parsable '0' where the value is not plain.
    return `if(${plain}, toDecimal128(if(${plain}, ${text}, '0'), 10), NULL)`;
  },
  castText: (column, kind) => {
    const text = assertIdentifier(column);
    if (kind === 'integer') return `toInt64OrNull(${text})`;
    if (kind === 'decimal') return `if(${text} = '', NULL, toDecimal128(if(${text} = '', '0', ${text}), 10))`;
    return `nullIf(${text}, '')`;
  },
  textLiteral: (text) => quoteString(text),
  timeWindow: (unit, column) => WINDOW_FUNCTIONS[timeUnit(unit)].replace('%', assertIdentifier(column)),
  quantile: (column, q) => `quantile(${quantileOf(q)})(${assertIdentifier(column)})`,
  fiveMinuteWindow: (column) => `toStartOfFiveMinute(${assertIdentifier(column)})`,
  secondsSince: (column) => `(toUnixTimestamp(now()) - toUnixTimestamp(${assertIdentifier(column)}))`,
  regexpExtract: (column, pattern) => `extract(ifNull(${assertIdentifier(column)}, ''), ${patternLiteral(pattern)})`,
  regexpMatches: (column, pattern) => `match(ifNull(${assertIdentifier(column)}, ''), ${patternLiteral(pattern)})`,
  containsText: (column) => `position(ifNull(${assertIdentifier(column)}, ''), ?) > 0`,
  // Decimal128(10) × Decimal128(0) keeps the scale; ÷ Decimal128(0) truncates at it.
  prorate: (amount, weight, total) => {
    const units = (column: string) => `toDecimal128(toDecimal128(${assertIdentifier(column)}, 10) * 10000000000, 0)`;
    // 1 below PRORATE_WEIGHT_UNITS, a zero or negative total included (log10 of nothing below 1).
    const divisor = `toDecimal128(intExp10(toUInt8(greatest(0, ceil(log10(greatest(abs(toFloat64(${units(total)})), 1) / ${PRORATE_WEIGHT_UNITS}))))), 0)`;
    return `toDecimal128(toDecimal128(${assertIdentifier(amount)}, 10) * (${units(weight)} / ${divisor}) / (${units(total)} / ${divisor}), 10)`;
  },
  toDecimal: (column) => `toDecimal128(${assertIdentifier(column)}, 10)`,
  // cityHash64 takes no Decimal in 18.16, and of a NULL gives NULL (which sum skips): the row's text as a tuple has neither.
  contentFingerprint: (alias) => `toString(sum(cityHash64(toString(tuple(${assertIdentifier(alias)}.*)))))`,
};

/** The dialect on a cluster: relations qualified by `database`, so that a view created `ON CLUSTER` reads them on every server. */
export function clusterDialect(database: string): Dialect {
  const qualified = (name: string) => `${assertIdentifier(database)}.${assertIdentifier(name)}`;
  return {
    ...CLICKHOUSE_DIALECT,
    relation: qualified,
    deduplicated: (table) => `${qualified(table)} FINAL`,
    deduplicatedWhereSortKey: (table, alias) => `${qualified(table)} AS ${assertIdentifier(alias)} FINAL PREWHERE`,
  };
}
