import {
  DuckDBDecimalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { SqlValue } from '../warehouse.ts';

/** A bound parameter: Dates become TIMESTAMP, whole numbers BIGINT. */
export function toDuckDBParam(value: SqlValue): DuckDBValue {
  if (value instanceof Date) return new DuckDBTimestampValue(BigInt(value.getTime()) * 1000n);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

/** A value read from DuckDB, in the JS shape every engine agrees on (see `Row`). */
export function fromDuckDBValue(value: DuckDBValue): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return new Date(Number(value.micros / 1000n));
  }
  if (value instanceof DuckDBDecimalValue) return value.toString();
  return String(value);
}
