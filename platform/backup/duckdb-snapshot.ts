import type { DuckDBWarehouse, Row, SqlValue } from '../../kernel/warehouse/index.ts';
import { rowsOf, toDuckDBParam } from '../../kernel/warehouse/index.ts';
import type { DuckDBSource } from './take-backup.ts';

/** A read of the whole database as of one moment, on a connection of its own, until `end`. */
export interface OpenSnapshot {
  source: DuckDBSource;
  end(): Promise<void>;
}

/**
 * Begins a DuckDB transaction and reads once, which fixes its snapshot (MVCC): every later
 * read on it — `EXPORT DATABASE` included — sees the database as it was at that moment.
 */
export async function beginSnapshot(database: DuckDBWarehouse): Promise<OpenSnapshot> {
  const connection = await database.connect();
  try {
    await connection.run('BEGIN TRANSACTION');
    await connection.run('SELECT count(*) FROM schema_migrations');
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
