import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';

describe('DuckDB bulk inserts, stored grouped by tenant', () => {
  let warehouse: DuckDBWarehouse;
  beforeEach(async () => {
    warehouse = await DuckDBWarehouse.open(':memory:');
    await warehouse.execute('CREATE TABLE notes (tenant_id VARCHAR, seq INTEGER, note_id VARCHAR, written_at TIMESTAMP)');
    await warehouse.execute('CREATE TABLE plain (owner VARCHAR, seq INTEGER)');
  });
  afterEach(() => warehouse.close());

  // Three tenants' rows interleaved, as a consumer's batch or a bulk load brings them.
  const interleaved = (count: number) => Array.from({ length: count }, (_, i) => [['globex', 'acme', 'initech'][i % 3]!, i]);
  const stored = async (table: string, column: string) =>
    (await warehouse.query<{ who: string; seq: number }>(`SELECT ${column} AS who, seq FROM ${table} ORDER BY rowid`)).map((r) => [r.who, Number(r.seq)]);
  const grouped = (rows: (string | number)[][]) =>
    [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1]));

  it('writes a bulk insert and an ingest batch tenant by tenant, each tenant\'s rows in arrival order, none lost', async () => {
    const bulk = interleaved(3000);
    const now = new Date();
    await warehouse.insert('notes', ['tenant_id', 'seq', 'note_id', 'written_at'], bulk.map((row) => [...row, `n-${row[1]}`, now]));
    expect(await stored('notes', 'tenant_id')).toEqual(grouped(bulk));

    await warehouse.execute('DELETE FROM notes');
    const batch = interleaved(600).map(([tenant, seq]) => [tenant!, Number(seq) + 10_000]);
    const result = await warehouse.insertUnique(
      { table: 'notes', columns: ['tenant_id', 'seq', 'note_id', 'written_at'], key: ['tenant_id', 'note_id'], windowColumn: 'written_at', windowDays: 7 },
      batch.map((row) => [...row, `n-${row[1]}`, now]),
    );
    expect(result.inserted).toBe(600);
    expect(await stored('notes', 'tenant_id')).toEqual(grouped(batch));
  });

  it('leaves rows of a table without a tenant column in the order given', async () => {
    const rows = interleaved(3000);
    await warehouse.insert('plain', ['owner', 'seq'], rows);
    expect(await stored('plain', 'owner')).toEqual(rows);
  });
});
