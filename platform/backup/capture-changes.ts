import { rm } from 'node:fs/promises';
import { DuckDBStateStore, openStateStore, type StateStore } from '../../kernel/state/index.ts';
import { ClickHouseWarehouse, DuckDBWarehouse, type TableDefinition, type Warehouse } from '../../kernel/warehouse/index.ts';
import type { BackupSource } from './backup-source.ts';
import { ChangeLog } from './change-log.ts';
import { clickhouseBackupSource } from './clickhouse-snapshot.ts';
import { duckdbBackupSource } from './duckdb-snapshot.ts';
import { LoggedStateStore } from './logged-state-store.ts';
import { LoggedWarehouse } from './logged-warehouse.ts';

/** The stores a platform writes through when its changes are shipped, and the log they record into. */
export interface CapturedStores {
  log: ChangeLog;
  warehouse: LoggedWarehouse;
  /** Opened here (on the warehouse's database, or `state.duckdb` beside ClickHouse); its caller closes it (after the platform, before the warehouse). */
  state: LoggedStateStore;
  /** What both stores hold, as one backup. */
  source: BackupSource;
}

/**
 * Wraps the warehouse and the state store so that every write of data is recorded once
 * committed. `spoolDir` is this process's: what a killed process left there was never
 * shipped and is removed.
 */
export async function captureChanges(warehouse: Warehouse, options: { tables: readonly TableDefinition[]; spoolDir: string; dataDir?: string; state?: StateStore }): Promise<CapturedStores> {
  // A state store already open on this database (a benchmark's): two DuckDB instances cannot hold one file.
  const state = options.state ?? await openStateStore(warehouse, { tables: options.tables, dataDir: options.dataDir });
  let source: BackupSource;
  if (warehouse instanceof DuckDBWarehouse) source = duckdbBackupSource(warehouse);
  else if (warehouse instanceof ClickHouseWarehouse && state instanceof DuckDBStateStore) source = clickhouseBackupSource(warehouse, state);
  else {
    await state.close();
    throw new Error(`Continuous backup ships DuckDB, or ClickHouse with its state beside it; the ${warehouse.engine} warehouse is not backed up this way (COMPANYOS_BACKUP_SHIPPING=off).`);
  }
  await rm(options.spoolDir, { recursive: true, force: true });
  const log = new ChangeLog();
  return { log, warehouse: new LoggedWarehouse(warehouse, log, options.spoolDir), state: new LoggedStateStore(state, log), source };
}

/** What `warehouse` and `state` (as `createPlatform` opened them) hold, as a backup source; undefined where they cannot be backed up. */
export function backupSourceOf(warehouse: Warehouse, state: unknown): BackupSource | undefined {
  if (warehouse instanceof DuckDBWarehouse) return duckdbBackupSource(warehouse);
  if (warehouse instanceof ClickHouseWarehouse && state instanceof DuckDBStateStore) return clickhouseBackupSource(warehouse, state);
  return undefined;
}
