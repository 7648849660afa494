import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClickHouseWarehouse } from './clickhouse/clickhouse-warehouse.ts';
import { DuckDBWarehouse } from './duckdb/duckdb-warehouse.ts';
import { WarehouseError } from './errors.ts';
import { loadMigrations, loadMigrationsFrom, migrate, type MigrationReport } from './migrations.ts';
import type { EngineName, Warehouse } from './warehouse.ts';

export interface WarehouseConfig {
  engine: EngineName | string;
  /** Folder for embedded engines' files. */
  dataDir: string;
  clickhouse?: { url: string; database: string; cluster?: string };
}

export const ENGINES: readonly EngineName[] = ['duckdb', 'clickhouse'];

/** Opens the configured engine. Does not migrate: see `migrateWarehouse`. */
export async function openWarehouse(config: WarehouseConfig): Promise<Warehouse> {
  switch (config.engine) {
    case 'duckdb':
      await mkdir(config.dataDir, { recursive: true });
      return DuckDBWarehouse.open(join(config.dataDir, 'warehouse.duckdb'));
    case 'clickhouse':
      if (!config.clickhouse) throw new WarehouseError('the ClickHouse warehouse needs COMPANYOS_CLICKHOUSE_URL');
      return ClickHouseWarehouse.open(config.clickhouse);
    default:
      throw new WarehouseError(
        `unknown warehouse engine "${config.engine}"; COMPANYOS_WAREHOUSE takes one of: ${ENGINES.join(', ')}`,
      );
  }
}

/**
 * Applies the engine's pending migrations: the kernel's (`kernel/warehouse/<engine>/migrations/`)
 * and those of each folder in `packDirs` (a pack's `migrations/`, holding `<engine>/NNNN_name.sql`),
 * in one sequence of versions.
 */
export async function migrateWarehouse(warehouse: Warehouse, packDirs: readonly string[] = []): Promise<MigrationReport> {
  const dir = fileURLToPath(new URL(`./${warehouse.engine}/migrations/`, import.meta.url));
  const { ledgerDdl } = await loadMigrations(dir);
  const migrations = await loadMigrationsFrom([dir, ...packDirs.map((packDir) => join(packDir, warehouse.engine))]);
  return migrate(warehouse, { ledgerDdl, migrations });
}
