import type { DuckDBConnection } from '@duckdb/node-api';
import type { Row, SqlValue } from '../../kernel/warehouse/index.ts';
import { rowsOf, toDuckDBParam } from '../../kernel/warehouse/index.ts';
import type { BackupSource, OpenSnapshot } from './backup-source.ts';
import type { DuckDBSource } from './export-duckdb.ts';
import { takeBackup } from './take-backup.ts';

/** A DuckDB database reached by connections of its own: the warehouse, or a state store in a file of its own. */
export interface DuckDBDatabase {
  connect(): Promise<DuckDBConnection>;
}

/** A read of the whole database as of one moment, on a connection of its own, until `end`. */
export interface DuckDBSnapshot {
  source: DuckDBSource;
  end(): Promise<void>;
}

/**
 * Begins a DuckDB transaction and reads once, which fixes its snapshot (MVCC): every later
 * read on it — `EXPORT DATABASE` included — sees the database as it was at that moment.
 */
export async function beginSnapshot(database: DuckDBDatabase): Promise<DuckDBSnapshot> {
  const connection = await database.connect();
  try {
    await connection.run('BEGIN TRANSACTION');
    // DuckDB begins a transaction's snapshot at its first read: a table every platform database holds.
    await connection.run('SELECT count(*) FROM ledger_entries');
  } catch (error) {
    connection.closeSync();
    throw error;
  }
  return {
    source: {
      query: async <T extends Row = Row>(sql: string, params: readonly SqlValue[] = []) => rowsOf<T>(await connection.runAndReadAll(sql, params.map(toDuckDBParam))),
    },
    end: async () => {
      await connection.run('ROLLBACK').catch(() => undefined);
      connection.closeSync();
    },
  };
}

/** The embedded database (warehouse and state in one file) as a backup source. */
export function duckdbBackupSource(database: DuckDBDatabase): BackupSource {
  return {
    engine: 'duckdb',
    async begin(): Promise<OpenSnapshot> {
      const snapshot = await beginSnapshot(database);
      return { export: (options) => takeBackup(snapshot.source, options), end: () => snapshot.end() };
    },
  };
}
