import type { SqlValue } from '../../kernel/warehouse/index.ts';

/**
 * A SQL value as JSON and back, exactly: timestamps, integers beyond a double and
 * non-finite numbers have no JSON form of their own, so each is a one-key object
 * (`{"t": iso}`, `{"i": "digits"}`, `{"f": "NaN"}`); every other value is itself.
 */
export type EncodedValue = string | number | boolean | null | { t: string } | { i: string } | { f: string };

export function encodeValue(value: SqlValue | undefined): EncodedValue {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return { t: value.toISOString() };
  if (typeof value === 'bigint') return { i: value.toString() };
  if (typeof value === 'number' && !Number.isFinite(value)) return { f: String(value) };
  return value;
}

export function decodeValue(value: EncodedValue): SqlValue {
  if (value === null || typeof value !== 'object') return value;
  if ('t' in value) return new Date(value.t);
  if ('i' in value) return BigInt(value.i);
  return Number(value.f);
}

export const encodeRow = (row: readonly SqlValue[]): EncodedValue[] => row.map(encodeValue);
export const decodeRow = (row: readonly EncodedValue[]): SqlValue[] => row.map(decodeValue);

export function encodeRecord(record: Readonly<Record<string, SqlValue>>): Record<string, EncodedValue> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, encodeValue(value)]));
}

export function decodeRecord(record: Readonly<Record<string, EncodedValue>>): Record<string, SqlValue> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, decodeValue(value)]));
}
