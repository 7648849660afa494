import {
  DuckDBTypeId,
  JSToDuckDBValueConverter,
  type DuckDBDecimalType,
  type JS,
  type ToDuckDBValueConverter,
  DuckDBDecimalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Row, SqlValue } from '../warehouse.ts';

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

/** A result's rows, each as a `Row` (column name → engine-agreed JS value). */
export function rowsOf<T extends Row>(result: { columnNames(): string[]; getRows(): DuckDBValue[][] }): T[] {
  const names = result.columnNames();
  return result.getRows().map((values) => {
    const row: Row = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = fromDuckDBValue(values[i]!);
    return row as T;
  });
}

const DECIMAL_TEXT = /^(-?)(\d*)(?:\.(\d*))?$/;

/**
 * Writes JS values into appender chunks. Decimals arrive as strings (money never
 * passes through a float), so a DECIMAL column takes its digits exactly;
 * everything else is the driver's own conversion.
 */
export const toDuckDBColumnValue: ToDuckDBValueConverter<JS> = (value, type, converter) => {
  if (type.typeId === DuckDBTypeId.DECIMAL && typeof value === 'string') {
    const { width, scale } = type as DuckDBDecimalType;
    const match = DECIMAL_TEXT.exec(value.trim());
    if (!match || (match[2] === '' && !match[3])) throw new Error(`"${value}" is not a decimal number`);
    const [, sign, whole, fraction = ''] = match;
    if (fraction.length > scale && /[1-9]/.test(fraction.slice(scale))) {
      throw new Error(`"${value}" has more than ${scale} decimal places`);
    }
    const digits = BigInt(`${whole || '0'}${fraction.slice(0, scale).padEnd(scale, '0')}`);
    return new DuckDBDecimalValue(sign ? -digits : digits, width, scale);
  }
  return JSToDuckDBValueConverter(value, type, converter);
};
