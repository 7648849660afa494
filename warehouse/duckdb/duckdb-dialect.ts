import { assertIdentifier, timeUnit } from '../identifier.ts';
import { PLAIN_DECIMAL, type Dialect } from '../warehouse.ts';

/** DuckDB's SQL for the places engines differ. */
export const DUCKDB_DIALECT: Dialect = {
  deduplicated: (table) => table,
  jsonString: (column, key) => `coalesce(json_extract_string(${assertIdentifier(column)}, '$.${assertIdentifier(key)}'), '')`,
  jsonNumber: (column, key) => `coalesce(CAST(json_extract(${assertIdentifier(column)}, '$.${assertIdentifier(key)}') AS DOUBLE), 0)`,
  // TRY_CAST reads the text once; the plain-decimal check keeps DuckDB to what ClickHouse accepts (no '1e3', no spaces).
  jsonDecimal: (column, key) => {
    const text = `json_extract_string(${assertIdentifier(column)}, '$.${assertIdentifier(key)}')`;
    return `TRY_CAST(CASE WHEN regexp_full_match(${text}, '${PLAIN_DECIMAL}') THEN ${text} END AS DECIMAL(38, 10))`;
  },
  castText: (column, kind) => {
    const text = `nullif(${assertIdentifier(column)}, '')`;
    return kind === 'integer' ? `CAST(${text} AS BIGINT)` : kind === 'decimal' ? `CAST(${text} AS DECIMAL(38, 10))` : text;
  },
  timeWindow: (unit, column) => `date_trunc('${timeUnit(unit)}', ${assertIdentifier(column)})`,
};
