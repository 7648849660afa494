import { assertIdentifier, timeUnit } from '../identifier.ts';
import { PLAIN_DECIMAL, type Dialect } from '../warehouse.ts';

/** DuckDB's SQL for the places engines differ. */
export const DUCKDB_DIALECT: Dialect = {
  deduplicated: (table) => table,
  jsonString: (column, key) => `coalesce(json_extract_string(${assertIdentifier(column)}, '$.${assertIdentifier(key)}'), '')`,
  jsonNumber: (column, key) => `coalesce(CAST(json_extract(${assertIdentifier(column)}, '$.${assertIdentifier(key)}') AS DOUBLE), 0)`,
  jsonDecimal: (column, key) => {
    const text = `json_extract_string(${assertIdentifier(column)}, '$.${assertIdentifier(key)}')`;
    return `CASE WHEN regexp_full_match(${text}, '${PLAIN_DECIMAL}') THEN CAST(${text} AS DECIMAL(38, 10)) END`;
  },
  castText: (column, kind) => {
    const text = `nullif(${assertIdentifier(column)}, '')`;
    return kind === 'integer' ? `CAST(${text} AS BIGINT)` : kind === 'decimal' ? `CAST(${text} AS DECIMAL(38, 10))` : text;
  },
  timeWindow: (unit, column) => `date_trunc('${timeUnit(unit)}', ${assertIdentifier(column)})`,
};
