import { rm } from 'node:fs/promises';
import { openStateStore } from '../../kernel/state/index.ts';
import { DuckDBWarehouse, type TableDefinition, type Warehouse } from '../../kernel/warehouse/index.ts';
import { ChangeLog } from './change-log.ts';
import { beginSnapshot, type OpenSnapshot } from './duckdb-snapshot.ts';
import { LoggedStateStore } from './logged-state-store.ts';
import { LoggedWarehouse } from './logged-warehouse.ts';

/** The stores a platform writes through when its changes are shipped, and the log they record into. */
export interface CapturedStores {
  log: ChangeLog;
  warehouse: LoggedWarehouse;
  /** Opened here on the warehouse's database; its caller closes it (after the platform, before the warehouse). */
  state: LoggedStateStore;
  /** Begins a snapshot of the database both stores write. */
  snapshot(): Promise<OpenSnapshot>;
}

/**
 * Wraps an embedded (DuckDB) warehouse and the state store in it so that every write of data
 * is recorded once committed. `spoolDir` is this process's: what a killed process left there
 * was never shipped and is removed.
 */
export async function captureChanges(warehouse: Warehouse, options: { tables: readonly TableDefinition[]; spoolDir: string }): Promise<CapturedStores> {
  if (!(warehouse instanceof DuckDBWarehouse)) {
    throw new Error(`Continuous backup ships the embedded DuckDB database; the ${warehouse.engine} warehouse is not backed up this way yet (COMPANYOS_BACKUP_SHIPPING=off).`);
  }
  await rm(options.spoolDir, { recursive: true, force: true });
  const log = new ChangeLog();
  const state = await openStateStore(warehouse, { tables: options.tables });
  return {
    log,
    warehouse: new LoggedWarehouse(warehouse, log, options.spoolDir),
    state: new LoggedStateStore(state, log),
    snapshot: () => beginSnapshot(warehouse),
  };
}
