import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../index.ts';

const walSize = (dir: string) => stat(join(dir, 'warehouse.duckdb.wal')).then((found) => found.size, () => 0);

describe('the DuckDB warehouse checkpoints by the WAL\'s size', () => {
  let dir: string;
  let warehouse: DuckDBWarehouse;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-wal-watch-'));
    warehouse = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'), { walCheckpointBytes: 1024 * 1024 });
  });
  afterEach(async () => {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('after writes its row count does not see (the state store\'s, on connections of their own)', async () => {
    const connection = await warehouse.connect();
    try {
      await connection.run('CREATE TABLE approvals (tenant_id VARCHAR, approval_id VARCHAR, note VARCHAR)');
      // Small transactions, as the state store commits them: 3 MB of WAL, no appended warehouse row among them.
      for (let k = 0; k < 30; k++) {
        await connection.run(`INSERT INTO approvals SELECT 'acme', 'a-${k}-' || i, repeat('x', 1000) FROM range(100) r(i)`);
      }
    } finally {
      connection.closeSync();
    }
    expect(await walSize(dir)).toBeGreaterThan(1024 * 1024);
    const deadline = Date.now() + 10_000;
    while ((await walSize(dir)) > 1024 * 1024 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await walSize(dir)).toBeLessThan(1024 * 1024);
    expect(await warehouse.query('SELECT count(*)::INTEGER AS n FROM approvals')).toEqual([{ n: 3000 }]);
  });

  it('not before the WAL reaches the size', async () => {
    await warehouse.execute("CREATE TABLE notes (tenant_id VARCHAR, note VARCHAR)");
    const connection = await warehouse.connect();
    try {
      await connection.run("INSERT INTO notes SELECT 'acme', repeat('x', 1000) FROM range(200)");
    } finally {
      connection.closeSync();
    }
    const written = await walSize(dir);
    expect(written).toBeGreaterThan(100_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await walSize(dir)).toBe(written);
  });
});
