import { assertIdentifier, timeUnit } from '../identifier.ts';
import type { Dialect } from '../warehouse.ts';

/** DuckDB's SQL for the places engines differ. */
export const DUCKDB_DIALECT: Dialect = {
  deduplicated: (table) => table,
  jsonString: (column, key) => `coalesce(json_extract_string(${assertIdentifier(column)}, '$.${assertIdentifier(key)}'), '')`,
  jsonNumber: (column, key) => `coalesce(CAST(json_extract(${assertIdentifier(column)}, '$.${assertIdentifier(key)}') AS DOUBLE), 0)`,
  timeWindow: (unit, column) => `date_trunc('${timeUnit(unit)}', ${assertIdentifier(column)})`,
};
