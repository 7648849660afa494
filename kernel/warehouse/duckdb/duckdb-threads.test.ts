import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';

/** DuckDB's `threads` as a connection of the warehouse's database sees it (the state store's view). */
async function threadsSeenBy(warehouse: DuckDBWarehouse): Promise<number> {
  const connection = await warehouse.connect();
  try {
    return Number((await connection.runAndReadAll("SELECT current_setting('threads')::INTEGER")).getRows()[0]![0]);
  } finally {
    connection.closeSync();
  }
}

describe('DuckDB threads: one while serving, every core while scanning', () => {
  it('keeps one thread for small statements, gives every core to a scan and takes them back after it', async () => {
    const plain = await DuckDBInstance.create(':memory:');
    const cores = Number((await (await plain.connect()).runAndReadAll("SELECT current_setting('threads')::INTEGER")).getRows()[0]![0]);
    plain.closeSync();
    // On one core there is nothing to widen to, and neither test could tell.
    expect(cores, 'these tests need DuckDB to see at least 2 cores').toBeGreaterThan(1);
    const warehouse = await DuckDBWarehouse.open(':memory:');
    try {
      expect(await threadsSeenBy(warehouse)).toBe(1);
      const scans = await Promise.all([1, 2, 3].map((n) => warehouse.query<{ n: bigint }>(`SELECT count(*) AS n FROM range(${n * 1_000_000})`)));
      expect(scans.map(([row]) => Number(row!.n))).toEqual([1_000_000, 2_000_000, 3_000_000]);
      // Right after the scans the cores are still there (a build's next model follows at once) …
      expect(await threadsSeenBy(warehouse)).toBe(cores);
      // … and a moment later they are given back.
      await expect.poll(() => threadsSeenBy(warehouse), { timeout: 5_000, interval: 100 }).toBe(1);
    } finally {
      await warehouse.close();
    }
  });

  it('writes ingested rows on the serving thread: an ingest does not widen DuckDB for the state store beside it', async () => {
    const warehouse = await DuckDBWarehouse.open(':memory:');
    try {
      await warehouse.execute('CREATE TABLE metered (tenant_id VARCHAR, id VARCHAR, ingested_at TIMESTAMP)');
      const spec = { table: 'metered', columns: ['tenant_id', 'id', 'ingested_at'], key: ['tenant_id', 'id'], windowColumn: 'ingested_at', windowDays: 1, stampColumn: 'ingested_at' };
      const at = new Date();
      const { inserted } = await warehouse.insertUnique(spec, Array.from({ length: 5_000 }, (_, i) => ['tenant-a', `e${i}`, at]));
      expect(inserted).toBe(5_000);
      // A widened write would still hold every core here (they are given back only a moment after it).
      expect(await threadsSeenBy(warehouse)).toBe(1);
    } finally {
      await warehouse.close();
    }
  });
});
