import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBWarehouse } from './duckdb-warehouse.ts';

describe('DuckDB transactions and the adapter\'s checkpoints', () => {
  let dir: string;
  let warehouse: DuckDBWarehouse;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-tx-checkpoint-'));
    warehouse = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
    await warehouse.execute('CREATE TABLE notes (tenant_id VARCHAR, seq INTEGER)');
  });
  afterEach(async () => {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('commits a transaction whose inserts pass the checkpoint threshold, every row, and checkpoints after', async () => {
    const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => ['acme', from + i]);
    await warehouse.transaction(async () => {
      await warehouse.insert('notes', ['tenant_id', 'seq'], rows(0, 60_000));
      await warehouse.insert('notes', ['tenant_id', 'seq'], rows(60_000, 60_000));
      await warehouse.insert('notes', ['tenant_id', 'seq'], rows(120_000, 300));
    });
    expect(await warehouse.query('SELECT count(*)::INTEGER AS n FROM notes')).toEqual([{ n: 120_300 }]);
    // The checkpoint owed runs once the transaction is over: queued ahead of the next write, it empties the WAL.
    await warehouse.execute('CREATE TABLE later (x INTEGER)');
    const wal = await stat(join(dir, 'warehouse.duckdb.wal')).then((s) => s.size, () => 0);
    expect(wal).toBeLessThan(64 * 1024);
  });
});
