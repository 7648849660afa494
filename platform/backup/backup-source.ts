import type { ClickHouseWarehouse } from '../../kernel/warehouse/index.ts';
import type { BackupManifest } from './backup-manifest.ts';
import type { BackupOptions } from './take-backup.ts';

/** A database as of one moment, held until `end`; `export` stores it as a backup. */
export interface OpenSnapshot {
  export(options: BackupOptions): Promise<BackupManifest>;
  end(): Promise<void>;
}

/** What the running platform backs up: the embedded database, or ClickHouse with the state beside it. */
export interface BackupSource {
  readonly engine: 'duckdb' | 'clickhouse';
  /** Fixes a consistent snapshot of everything the platform wrote; begin it while no write is under way (`ChangeLog.quiesce`) when writes go on. */
  begin(): Promise<OpenSnapshot>;
  /**
   * Where a drill restores the warehouse beside the live one: on ClickHouse a database `name` on the
   * same server (created empty), dropped by `drop`. Absent for the embedded database, restored whole into a folder.
   */
  scratchDatabase?(name: string): Promise<ScratchDatabase>;
}

export interface ScratchDatabase {
  clickhouse: ClickHouseWarehouse;
  /** Drops the database and closes the connection. */
  drop(): Promise<void>;
}

/** A backup of `source` as it is now. */
export async function backupNow(source: BackupSource, options: BackupOptions): Promise<BackupManifest> {
  const snapshot = await source.begin();
  try {
    return await snapshot.export(options);
  } finally {
    await snapshot.end();
  }
}
