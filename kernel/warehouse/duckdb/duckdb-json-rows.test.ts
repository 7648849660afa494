import { describe, expect, it } from 'vitest';
import { rowsAsJson, tuplesAsJson } from './duckdb-json-rows.ts';

describe('rows as JSON text for DuckDB', () => {
  it('writes every instant as its own ISO text, however dates repeat and alternate between rows', () => {
    const shared = new Date('2026-12-07T08:00:00.000Z');
    const instants = Array.from({ length: 50 }, (_, i) => new Date(Date.UTC(2026, 10, 1) + i * 7_919));
    // Each row: its own instant, the shared one, the same instant again in a fresh object, and one from three rows back.
    const rows = instants.map((own, i) => [own, shared, new Date(own.getTime()), instants[Math.max(0, i - 3)]!]);
    const parsed = JSON.parse(tuplesAsJson(rows, ['a', 'b', 'c', 'd'])) as string[][];
    expect(parsed).toEqual(rows.map((row) => row.map((date) => date.toISOString())));
  });

  it('writes a date changed in place as its new instant', () => {
    const date = new Date('2026-01-01T00:00:00.000Z');
    expect(rowsAsJson([{ t: date }], ['t'])).toBe('[["2026-01-01T00:00:00.000Z"]]');
    date.setUTCFullYear(2027);
    expect(rowsAsJson([{ t: date }], ['t'])).toBe('[["2027-01-01T00:00:00.000Z"]]');
  });

  it('refuses an invalid date as before, rather than writing a remembered one', () => {
    expect(() => tuplesAsJson([[new Date(Number.NaN)]], ['t'])).toThrow(RangeError);
  });

  it('writes text, numbers, booleans, big integers, missing values and non-finite numbers as DuckDB reads them', () => {
    expect(tuplesAsJson([['x', 1.5, true, 12n, null, undefined as never, Number.POSITIVE_INFINITY]], ['a', 'b', 'c', 'd', 'e', 'f', 'g']))
      .toBe('[["x",1.5,1,"12",null,null,"Infinity"]]');
  });
});
