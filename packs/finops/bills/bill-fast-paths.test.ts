import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../../kernel/warehouse/index.ts';
import { timestamp } from './bill-sql.ts';
import { nullable } from './raw-columns.ts';

// The general readings the fast paths stand in for: each text must read the same either way.
const GENERAL_NULLABLE = (t: string) => `CASE WHEN upper(trim(${t})) IN ('', 'NULL') THEN NULL ELSE trim(${t}) END`;
// ISO's hh:mm gets its seconds written out first: DuckDB reads `05:30Z` only as `05:30:00Z`.
const GENERAL_ISO = (t: string) => `CASE WHEN regexp_full_match(${t}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?$') THEN TRY_CAST(TRY_CAST(replace(
  regexp_replace(${t}, '^([0-9-]{10}[T ][0-9]{2}:[0-9]{2})([Z+-]| UTC|$)', '\\1:00\\2'), ' UTC', 'Z') AS TIMESTAMPTZ) AS TIMESTAMP) END`;

const TEXTS = [
  '', ' ', '   ', 'NULL', 'null', ' NuLl ', 'nul', 'nulls', 'N ULL', '\tNULL', 'NULL\n', '\u00a0NULL\u00a0', '\u3000', 'ıull',
  'acme', ' acme', 'acme ', '  acme  ', '\tacme\t', '\u00a0acme', 'acme\u00a0', '\u2009acme\u202f', 'Ünïcode', ' Ünïcode ', 'a b', '€12', '12 €',
  '2026-10-01T00:00:00Z', '2026-10-01 00:00:00', '2026-10-01', '2026-10-01T05:30:00+02:00', '2026-10-01T05:30:00.123456Z',
  '2026-10-01T05:30:00.1234567Z', '2026-10-01T24:00:00Z', '2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '2028-02-29T00:00:00Z',
  '2026-10-01T05:30Z', '2026-10-01T05:30', '2026-10-01T05:30+02:00', '2026-10-01 05:30 UTC', '2026-10-01 05:30:00 UTC', '2026-10-01T05:30:00z', '2026-10-01T5:30:00Z', '0000-01-01T00:00:00Z',
  '2026-10-01T05:30:00.Z', '2026-10-01T00:00:00-00:00', '2026-10-01T23:59:60Z', '2026-10-01T23:60:00Z', '2026-13-01', '99999-01-01', '2026-1-01',
  '2026-10-01T00:00:00.000Z', '2026-10-01 00:00:00.5', '2026-10-01TT00:00:00Z', '2026-10-01T00:00:00ZZ',
];

describe('bill typing fast paths (DuckDB)', () => {
  let scratch: DuckDBWarehouse;
  beforeAll(async () => {
    scratch = await DuckDBWarehouse.open(':memory:');
    await scratch.execute("SET TimeZone = 'UTC'");
    await scratch.execute('CREATE TABLE texts (t VARCHAR)');
    await scratch.insert('texts', ['t'], [...TEXTS.map((t) => [t]), [null]]);
  });
  afterAll(() => scratch.close());

  it('makes a null-like text NULL and trims the rest exactly as upper(trim()) and trim() do', async () => {
    const rows = await scratch.query<{ t: string | null; fast: string | null; general: string | null }>(
      `SELECT t, ${nullable('t')} AS fast, ${GENERAL_NULLABLE('t')} AS general FROM texts`,
    );
    expect(rows).toHaveLength(TEXTS.length + 1);
    for (const row of rows) expect({ t: row.t, value: row.fast }).toEqual({ t: row.t, value: row.general });
    expect(rows.filter((row) => row.fast === null).map((row) => row.t)).toEqual(expect.arrayContaining(['', ' ', 'NULL', 'null', ' NuLl ', '\u00a0NULL\u00a0', null]));
  });

  it('reads an ISO date-time as the TIMESTAMPTZ reading does, whichever path it takes', async () => {
    const rows = await scratch.query<{ t: string | null; fast: string | null; general: string | null }>(
      `SELECT t, CAST(${timestamp('t')} AS VARCHAR) AS fast, CAST(${GENERAL_ISO('t')} AS VARCHAR) AS general
       FROM texts WHERE regexp_full_match(t, '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?$')`,
    );
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) expect({ t: row.t, value: row.fast }).toEqual({ t: row.t, value: row.general });
    expect(rows.find((row) => row.t === '2026-10-01T05:30:00+02:00')!.fast).toBe('2026-10-01 03:30:00');
    expect(['2026-10-01T05:30Z', '2026-10-01T05:30+02:00', '2026-10-01 05:30 UTC'].map((t) => rows.find((row) => row.t === t)!.fast))
      .toEqual(['2026-10-01 05:30:00', '2026-10-01 03:30:00', '2026-10-01 05:30:00']);
  });
});
