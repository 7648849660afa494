import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseWarehouse } from '../../kernel/warehouse/index.ts';
import type { BackupSource, OpenSnapshot } from './backup-source.ts';
import { freezeClickHouse } from './clickhouse-freeze.ts';
import { beginSnapshot, type DuckDBDatabase } from './duckdb-snapshot.ts';
import { exportDuckDB, type StagedObject } from './export-duckdb.ts';
import { sha256File } from '../../kernel/files/index.ts';
import { storeBackup } from './take-backup.ts';
import { stat } from 'node:fs/promises';

/** The object holding a ClickHouse table's `CREATE` statement. */
export const ddlObject = (table: string) => `clickhouse/${table}.sql`;

/**
 * ClickHouse with the operational state beside it (`state.duckdb`) as a backup source. `begin`
 * freezes every table and fixes the state's snapshot one after the other, so called while no write
 * is under way (`ChangeLog.quiesce`) both hold the same writes; `export` stores the frozen parts,
 * each table's statement and the state's export, then the manifest, and `end` drops the frozen
 * copies from the server's `shadow/` folder.
 */
export function clickhouseBackupSource(warehouse: ClickHouseWarehouse, state: DuckDBDatabase): BackupSource {
  return {
    engine: 'clickhouse',
    async scratchDatabase(name) {
      const clickhouse = await warehouse.openSibling(`${warehouse.database}_${name}`);
      return {
        clickhouse,
        async drop() {
          try {
            await clickhouse.execute(`DROP DATABASE IF EXISTS ${clickhouse.database}`);
          } finally {
            await clickhouse.close();
          }
        },
      };
    },
    async begin(): Promise<OpenSnapshot> {
      const snapshotAt = new Date();
      const frozen = await freezeClickHouse(warehouse);
      let stateSnapshot;
      try {
        stateSnapshot = await beginSnapshot(state);
      } catch (error) {
        await frozen.release();
        throw error;
      }
      return {
        async export(options) {
          const staging = await mkdtemp(join(tmpdir(), 'companyos-backup-'));
          try {
            const exported = await exportDuckDB(stateSnapshot.source, staging);
            const ddl: StagedObject[] = [];
            for (const [table, statement] of frozen.ddl) {
              const path = join(staging, `${table}.create.sql`);
              await writeFile(path, statement);
              ddl.push({ name: ddlObject(table), path, sha256: await sha256File(path), bytes: (await stat(path)).size });
            }
            return await storeBackup({
              engine: 'clickhouse',
              objects: [...exported.objects, ...ddl, ...frozen.objects],
              rowCounts: exported.rowCounts,
              ledger: exported.ledger,
              clickhouse: { database: frozen.database, tables: frozen.tables.map((table) => ({ ...table, ddl: ddlObject(table.name) })) },
            }, snapshotAt, options);
          } finally {
            await rm(staging, { recursive: true, force: true });
          }
        },
        async end() {
          await stateSnapshot.end();
          await frozen.release();
        },
      };
    },
  };
}
