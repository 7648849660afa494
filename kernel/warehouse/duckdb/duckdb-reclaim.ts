import type { DuckDBConnection } from '@duckdb/node-api';
import { assertIdentifier } from '../identifier.ts';
import type { ReclaimReport } from '../warehouse.ts';
import { rowsOf } from './duckdb-values.ts';

/** Tries at a step another connection's commit or checkpoint got in the way of. */
const ATTEMPTS = 8;
/** Rows of scrub text (64 random hex characters each) written per free block, with room for compression. */
const SCRUB_ROWS_PER_BLOCK = 8_192;
const SCRUB_ROUNDS = 40;
const SCRUB_TABLE = 'companyos_reclaim_scrub';

/**
 * Removes the bytes of deleted rows from a DuckDB database file. A `DELETE` only marks rows:
 * their values stay in the table's row groups, and a checkpoint that drops a row group frees
 * its blocks without overwriting them — both remain readable in the file. So each table is
 * replaced, in one transaction, by a copy of its live rows (created by its own DDL, so checks
 * and defaults stay, and given its indexes again); a checkpoint frees the old row groups and
 * truncates the WAL; then every free block is overwritten: a scrub table of random text grows
 * until the file has no free block, and is dropped. Runs on `connection`; a step that meets
 * another connection's commit (a write to the table meanwhile) is retried.
 */
export async function reclaimDuckDB(connection: DuckDBConnection, tables: readonly string[]): Promise<ReclaimReport> {
  const started = performance.now();
  let rowsRewritten = 0;
  for (const table of tables) {
    const name = assertIdentifier(table);
    rowsRewritten += await retried(async () => {
      await connection.run('BEGIN TRANSACTION');
      try {
        const [created] = rowsOf<{ sql: string }>(await connection.runAndReadAll(
          "SELECT sql FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $1", [name],
        ));
        if (!created) throw new Error(`there is no table ${name} to reclaim`);
        const indexes = rowsOf<{ sql: string }>(await connection.runAndReadAll(
          "SELECT sql FROM duckdb_indexes() WHERE schema_name = 'main' AND table_name = $1", [name],
        ));
        // A DELETE of every row and an INSERT back leave the old values of an indexed table in storage: a new table replaces it.
        const fresh = `${name}__reclaimed`;
        await connection.run(created.sql.replace(/^CREATE TABLE\s+("[^"]+"|[\w.]+)/i, `CREATE TABLE ${fresh}`));
        const inserted = await connection.run(`INSERT INTO ${fresh} SELECT * FROM ${name}`);
        await connection.run(`DROP TABLE ${name}`);
        await connection.run(`ALTER TABLE ${fresh} RENAME TO ${name}`);
        for (const index of indexes) await connection.run(index.sql);
        await connection.run('COMMIT');
        return Number(inserted.rowsChanged);
      } catch (error) {
        await connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }
  await checkpoint(connection);
  const rewritten = performance.now();
  const blocksScrubbed = await scrubFreeBlocks(connection);
  return { engine: 'duckdb', tables: [...tables], rowsRewritten, blocksScrubbed, seconds: (performance.now() - started) / 1000, scrubSeconds: (performance.now() - rewritten) / 1000 };
}

/** Fills every free block with random text, then frees them again: what they held before is gone. */
async function scrubFreeBlocks(connection: DuckDBConnection): Promise<number> {
  let scrubbed = 0;
  await connection.run(`CREATE OR REPLACE TABLE ${SCRUB_TABLE} (filler VARCHAR)`);
  try {
    for (let round = 0; round < SCRUB_ROUNDS; round++) {
      const free = await freeBlocks(connection);
      if (free === 0) break;
      scrubbed += free;
      await connection.run(
        `INSERT INTO ${SCRUB_TABLE} SELECT md5(random()::VARCHAR) || md5(random()::VARCHAR) FROM range(${free * SCRUB_ROWS_PER_BLOCK})`,
      );
      await checkpoint(connection);
    }
    if (await freeBlocks(connection) > 0) throw new Error(`free blocks remained after ${SCRUB_ROUNDS} rounds of scrubbing`);
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${SCRUB_TABLE}`);
    await checkpoint(connection);
  }
  return scrubbed;
}

async function freeBlocks(connection: DuckDBConnection): Promise<number> {
  const [row] = rowsOf<{ free_blocks: bigint }>(await connection.runAndReadAll('SELECT free_blocks FROM pragma_database_size() LIMIT 1'));
  return Number(row?.free_blocks ?? 0);
}

function checkpoint(connection: DuckDBConnection): Promise<void> {
  return retried(async () => void (await connection.run('CHECKPOINT')));
}

/** Another connection's transaction may conflict with a step or hold off a checkpoint for a moment. */
async function retried<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
