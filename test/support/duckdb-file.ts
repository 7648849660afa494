import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';

/** A DuckDB warehouse in a file of its own (`<dir>/warehouse.duckdb`) for each test, after `setup`; closed and removed after it. */
export function useDuckDBFile(setup: (warehouse: DuckDBWarehouse) => Promise<void> = async () => undefined): {
  readonly warehouse: DuckDBWarehouse;
  readonly dir: string;
} {
  let dir: string;
  let warehouse: DuckDBWarehouse;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'companyos-duckdb-file-'));
    warehouse = await DuckDBWarehouse.open(join(dir, 'warehouse.duckdb'));
    await setup(warehouse);
  });
  afterEach(async () => {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get warehouse() {
      return warehouse;
    },
    get dir() {
      return dir;
    },
  };
}
