import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBWarehouse, WarehouseError, type TableDefinition, type Warehouse } from '../warehouse/index.ts';
import { PostgresStateStore } from './postgres-state-store.ts';
import { DuckDBStateStore } from './duckdb-state-store.ts';
import { importFromWarehouse } from './import-from-warehouse.ts';
import { ensureStateSchema } from './state-schema.ts';
import type { StateStore } from './state-store.ts';

export interface StateStoreOptions {
  /** The registry: the kernel's tables and every pack's (`platformTables()`); the store holds those declared with `state`. */
  tables: readonly TableDefinition[];
  /** Folder for the state's own file when the warehouse is not DuckDB (required then); `:memory:` for a throwaway store. */
  dataDir?: string;
  /** A PostgreSQL server's `postgres://…` URL (`COMPANYOS_STATE_URL`): the state there, shared by every platform process (the scale-out profile). */
  url?: string;
}

/** The state's database in the data folder beside a warehouse other than DuckDB. */
export const STATE_FILE = 'state.duckdb';

/**
 * The embedded state store for `warehouse`: in the same database when the warehouse is
 * DuckDB, otherwise `state.duckdb` in the data folder (what was in the warehouse is
 * copied over the first time). Ready to use: its tables and unique keys exist.
 */
export async function openStateStore(warehouse: Warehouse, options: StateStoreOptions): Promise<StateStore> {
  if (options.url) {
    if (!/^postgres(ql)?:\/\//.test(options.url)) throw new WarehouseError(`COMPANYOS_STATE_URL must be a postgres:// URL; got ${options.url.split('@').pop()}`);
    const store = await PostgresStateStore.open(options.url, options.tables);
    await ensureStateSchema(store).catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    return store;
  }
  if (warehouse instanceof DuckDBWarehouse) {
    const store = DuckDBStateStore.sharing(warehouse, options.tables);
    await ensureStateSchema(store).catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    return store;
  }
  if (!options.dataDir) {
    throw new WarehouseError(`operational state beside the ${warehouse.engine} warehouse needs a data folder for state.duckdb (COMPANYOS_DATA_DIR)`);
  }
  const memory = options.dataDir === ':memory:';
  if (!memory) await mkdir(options.dataDir, { recursive: true });
  const store = await DuckDBStateStore.open(memory ? ':memory:' : join(options.dataDir, STATE_FILE), options.tables);
  try {
    await ensureStateSchema(store);
    await importFromWarehouse(store, warehouse);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
