import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';
import { decimalAsText, decimalFromText } from './duckdb-dialect.ts';

// Texts around every edge of the two widths: the fast path must read each exactly as the 38-digit cast does.
const TEXTS = [
  '0', '-0', '12.5', '-12.5', '+5', '.5', '5.', ' 12.5 ', '1e3', '1.5E-2', '0x10', 'NaN', 'inf', '', 'abc', '1,000', '1_000',
  '99999999.9999999999', '-99999999.9999999999', '100000000', '100000000.0000000001', '123456789012345678.1234567891',
  '9999999999999999999999999999.9999999999', '99999999999999999999999999999', '12.34567890123', '0.00000000005', '0.00000000004',
  '00000000000000000000000000000000000012.5',
];

describe('decimalFromText (DuckDB)', () => {
  let warehouse: DuckDBWarehouse;
  beforeAll(async () => {
    warehouse = await DuckDBWarehouse.open(':memory:');
    await warehouse.execute('CREATE TABLE texts (t VARCHAR)');
    await warehouse.insert('texts', ['t'], TEXTS.map((t) => [t]));
  });
  afterAll(() => warehouse.close());

  it('reads every text exactly as a DECIMAL(38, 10) cast does, NULL where it is NULL, with the same type', async () => {
    const rows = await warehouse.query<{ t: string; fast: string | null; wide: string | null; type: string }>(
      `SELECT t, CAST(${decimalFromText('t')} AS VARCHAR) AS fast, CAST(TRY_CAST(t AS DECIMAL(38, 10)) AS VARCHAR) AS wide, typeof(${decimalFromText('t')}) AS type FROM texts`,
    );
    expect(rows).toHaveLength(TEXTS.length);
    for (const row of rows) {
      expect({ t: row.t, value: row.fast }).toEqual({ t: row.t, value: row.wide });
      expect(row.type).toBe('DECIMAL(38,10)');
    }
    expect(rows.find((r) => r.t === '123456789012345678.1234567891')!.fast).toBe('123456789012345678.1234567891');
  });

  it('as a CAST, refuses what the wide cast refuses', async () => {
    await expect(warehouse.query(`SELECT ${decimalFromText("'abc'", 'CAST')} AS d`)).rejects.toThrow(/abc/);
    const [row] = await warehouse.query<{ d: string }>(`SELECT CAST(${decimalFromText("'100000000.25'", 'CAST')} AS VARCHAR) AS d`);
    expect(row!.d).toBe('100000000.2500000000');
  });

  it('prints every value as DECIMAL(38, 10) does, through 18 digits or not', async () => {
    const rows = await warehouse.query<{ t: string; fast: string | null; wide: string | null }>(
      `SELECT t, ${decimalAsText('d')} AS fast, CAST(d AS VARCHAR) AS wide FROM (SELECT t, TRY_CAST(t AS DECIMAL(38, 10)) AS d FROM texts)`,
    );
    for (const row of rows) expect({ t: row.t, text: row.fast }).toEqual({ t: row.t, text: row.wide });
    expect(rows.find((r) => r.t === '123456789012345678.1234567891')!.fast).toBe('123456789012345678.1234567891');
    expect(rows.find((r) => r.t === '-12.5')!.fast).toBe('-12.5000000000');
  });
});
