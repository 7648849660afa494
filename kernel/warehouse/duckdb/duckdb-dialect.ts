import { assertIdentifier, patternLiteral, quantileOf, timeUnit, wholeSeconds } from '../identifier.ts';
import { captureGroups } from '../regex-syntax.ts';
import { JSON_DECIMAL, PRORATE_WEIGHT_UNITS, type Dialect } from '../warehouse.ts';

/**
 * Text as DECIMAL(38, 10), `TRY_CAST` (NULL when unreadable) or `CAST` (an error). DuckDB parses text into a
 * 38-digit decimal about 100 times slower than into an 18-digit one (2 µs against 20 ns a value here), so
 * what fits DECIMAL(18, 10) — amounts below 10⁸ with up to 10 decimals, nearly all — is read that way and
 * widened; only the rest takes the slow path. The value and its type are the same either way.
 */
export function decimalFromText(text: string, cast: 'TRY_CAST' | 'CAST' = 'TRY_CAST'): string {
  return `coalesce(TRY_CAST(${text} AS DECIMAL(18, 10)), ${cast}(${text} AS DECIMAL(38, 10)))`;
}

/** A DECIMAL(38, 10) value as text, printed through DECIMAL(18, 10) when it fits (the same text, ~10× faster). */
export function decimalAsText(value: string): string {
  return `coalesce(CAST(TRY_CAST(${value} AS DECIMAL(18, 10)) AS VARCHAR), CAST(${value} AS VARCHAR))`;
}

/** The greatest value of a timestamp column; the epoch over no rows (DuckDB's max of nothing is NULL). */
const latestOrEpoch = (column: string) => `coalesce(max(${assertIdentifier(column)}), TIMESTAMP '1970-01-01 00:00:00')`;

/** DuckDB's SQL for the places engines differ. */
export const DUCKDB_DIALECT: Dialect = {
  deduplicated: (table) => table,
  deduplicatedWhereSortKey: (table, alias) => `${assertIdentifier(table)} AS ${assertIdentifier(alias)} WHERE`,
  uniqueRows: true,
  backslashEscapes: false,
  watermark: latestOrEpoch,
  // ingested_at follows commit order here (UniqueInsert.stampColumn): nothing is stored behind the watermark.
  rereadWatermark: latestOrEpoch,
  timeLimit: (which) => (which === 'earliest' ? "'-infinity'::TIMESTAMP" : "'infinity'::TIMESTAMP"),
  watermarkBefore: (column, seconds) => `greatest(${latestOrEpoch(column)} - INTERVAL ${wholeSeconds(seconds)} SECOND, TIMESTAMP '1970-01-01 00:00:00')`,
  relation: (name) => assertIdentifier(name),
  jsonString: (column, key) => `coalesce(json_extract_string(${assertIdentifier(column)}, '$.${assertIdentifier(key)}'), '')`,
  // TRY_CAST: a value that is no number (a word, a list) reads as 0, as ClickHouse's visitParamExtractFloat reads it, not an error.
  jsonNumber: (column, key) => `coalesce(TRY_CAST(json_extract(${assertIdentifier(column)}, '$.${assertIdentifier(key)}') AS DOUBLE), 0)`,
  jsonIsNumber: (column, key) => `coalesce(json_type(${assertIdentifier(column)}, '$.${assertIdentifier(key)}') IN ('BIGINT', 'UBIGINT', 'DOUBLE'), false)`,
  // TRY_CAST reads the text once; the plain-decimal check keeps DuckDB to what ClickHouse accepts (no '1e3', no spaces).
  jsonDecimal: (column, key) => {
    const text = `json_extract_string(${assertIdentifier(column)}, '$.${assertIdentifier(key)}')`;
    return `CASE WHEN regexp_full_match(${text}, '${JSON_DECIMAL}') THEN ${decimalFromText(text)} END`;
  },
  castText: (column, kind) => {
    const text = `nullif(${assertIdentifier(column)}, '')`;
    return kind === 'integer' ? `CAST(${text} AS BIGINT)` : kind === 'decimal' ? decimalFromText(text, 'CAST') : text;
  },
  // Standard SQL: a quote doubled, and nothing else escaped (a backslash is itself).
  textLiteral: (text) => `'${text.replaceAll("'", "''")}'`,
  timeWindow: (unit, column) => `date_trunc('${timeUnit(unit)}', ${assertIdentifier(column)})`,
  quantile: (column, q) => `quantile_cont(${assertIdentifier(column)}, ${quantileOf(q)})`,
  fiveMinuteWindow: (column) => `time_bucket(INTERVAL 5 MINUTE, ${assertIdentifier(column)})`,
  // epoch() of a TIMESTAMP reads it as UTC, as the platform writes them; of current_timestamp, the instant.
  secondsSince: (column) => `CAST(epoch(current_timestamp) - epoch(${assertIdentifier(column)}) AS BIGINT)`,
  regexpExtract: (column, pattern) => {
    const group = captureGroups(pattern) > 0 ? 1 : 0;
    return `regexp_extract(coalesce(${assertIdentifier(column)}, ''), ${patternLiteral(pattern)}, ${group})`;
  },
  regexpMatches: (column, pattern) => `regexp_matches(coalesce(${assertIdentifier(column)}, ''), ${patternLiteral(pattern)})`,
  containsText: (column) => `coalesce(strpos(${assertIdentifier(column)}, ?), 0) > 0`,
  // DECIMAL ÷ DECIMAL is a DOUBLE in DuckDB: divide the scaled integers instead (HUGEINT, 38 digits).
  prorate: (amount, weight, total) => {
    const units = (column: string) => `CAST(CAST(${assertIdentifier(column)} AS DECIMAL(38, 10)) * 10000000000 AS HUGEINT)`;
    // 1 below PRORATE_WEIGHT_UNITS, a zero or negative total included (log10 of nothing below 1).
    const divisor = `CAST(pow(10, greatest(0, ceil(log10(greatest(abs(CAST(${units(total)} AS DOUBLE)), 1) / ${PRORATE_WEIGHT_UNITS})))) AS HUGEINT)`;
    return `CAST(CAST((${units(amount)} * (${units(weight)} // ${divisor})) // (${units(total)} // ${divisor}) AS DECIMAL(38, 0)) * CAST(0.0000000001 AS DECIMAL(11, 10)) AS DECIMAL(38, 10))`;
  },
  toDecimal: (column) => `CAST(${assertIdentifier(column)} AS DECIMAL(38, 10))`,
  // A FROM item's alias is its row as a struct; the sum of UBIGINT hashes is a HUGEINT (no wrap), NULL over no rows.
  contentFingerprint: (alias) => `CAST(coalesce(sum(hash(${assertIdentifier(alias)})), 0) AS VARCHAR)`,
};
