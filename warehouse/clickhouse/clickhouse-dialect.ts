import { assertIdentifier, timeUnit } from '../identifier.ts';
import type { Dialect } from '../warehouse.ts';

const WINDOW_FUNCTIONS = { hour: 'toStartOfHour(%)', day: 'toStartOfDay(%)', month: "toDateTime(toStartOfMonth(%), 'UTC')" };

/** ClickHouse 18's SQL for the places engines differ. */
export const CLICKHOUSE_DIALECT: Dialect = {
  deduplicated: (table) => `${assertIdentifier(table)} FINAL`,
  // ifNull: a Nullable JSON column would make the result Nullable, which a sorting key refuses.
  jsonString: (column, key) => `visitParamExtractString(ifNull(${assertIdentifier(column)}, ''), '${assertIdentifier(key)}')`,
  jsonNumber: (column, key) => `visitParamExtractFloat(ifNull(${assertIdentifier(column)}, ''), '${assertIdentifier(key)}')`,
  timeWindow: (unit, column) => WINDOW_FUNCTIONS[timeUnit(unit)].replace('%', assertIdentifier(column)),
};
