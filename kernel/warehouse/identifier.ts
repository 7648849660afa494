import { WarehouseError } from './errors.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Table and column names cannot be bound as parameters, so every name that is
 * put into SQL text is checked here first: plain identifiers only.
 */
export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new WarehouseError(`"${name}" is not a valid table or column name`);
  return name;
}

/** Time units that may go into SQL: `hour`, `day` or `month`. */
/** A quantile as a SQL literal: a number from 0 to 1. */
export function quantileOf(q: number): string {
  if (!(q >= 0 && q <= 1)) throw new WarehouseError(`"${q}" is not a quantile (a number from 0 to 1)`);
  return String(q);
}

export function wholeSeconds(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new WarehouseError(`"${seconds}" is not a whole number of seconds`);
  return String(seconds);
}

export function timeUnit(unit: string): 'hour' | 'day' | 'month' {
  if (unit !== 'hour' && unit !== 'day' && unit !== 'month') throw new WarehouseError(`"${unit}" is not a time window (hour, day or month)`);
  return unit;
}

/** An RE2 pattern as a standard SQL string literal (DuckDB: backslashes are literal). */
export function patternLiteral(pattern: string): string {
  return `'${pattern.replaceAll("'", "''")}'`;
}

/** An RE2 pattern as a ClickHouse string literal, where backslash escapes. */
export function clickHousePatternLiteral(pattern: string): string {
  return `'${pattern.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
