import { describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { useDuckDBFile } from '../../../test/support/duckdb-file.ts';

describe('DuckDB transactions and the adapter\'s checkpoints', () => {
  const db = useDuckDBFile((warehouse) => warehouse.execute('CREATE TABLE notes (tenant_id VARCHAR, seq INTEGER)'));

  it('commits a transaction whose inserts pass the checkpoint threshold, every row, and checkpoints after', async () => {
    const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => ['acme', from + i]);
    await db.warehouse.transaction(async () => {
      await db.warehouse.insert('notes', ['tenant_id', 'seq'], rows(0, 60_000));
      await db.warehouse.insert('notes', ['tenant_id', 'seq'], rows(60_000, 60_000));
      await db.warehouse.insert('notes', ['tenant_id', 'seq'], rows(120_000, 300));
    });
    expect(await db.warehouse.query('SELECT count(*)::INTEGER AS n FROM notes')).toEqual([{ n: 120_300 }]);
    // The checkpoint owed runs once the transaction is over: queued ahead of the next write, it empties the WAL.
    await db.warehouse.execute('CREATE TABLE later (x INTEGER)');
    const wal = await stat(join(db.dir, 'warehouse.duckdb.wal')).then((s) => s.size, () => 0);
    expect(wal).toBeLessThan(64 * 1024);
  });
});
