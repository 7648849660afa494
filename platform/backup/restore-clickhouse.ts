import { constants } from 'node:fs';
import { access, copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import type { ClickHouseWarehouse } from '../../kernel/warehouse/index.ts';
import type { BackupManifest } from './backup-manifest.ts';
import { partObject } from './clickhouse-freeze.ts';

/** The tables a ClickHouse restore created, until it is validated. */
export interface AttachedTables {
  /** Merges were stopped while the parts were attached and counted (a merge of a ReplacingMergeTree drops duplicates); this starts them again. */
  startMerges(): Promise<void>;
  /** Drops every table the restore created: what a failed restore leaves behind is nothing. */
  drop(): Promise<void>;
}

/** Refuses a database that already holds tables: a restore never mixes a backup with other rows. */
export async function assertNoTables(warehouse: ClickHouseWarehouse): Promise<void> {
  const tables = await warehouse.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name LIMIT 4');
  if (tables.length > 0) {
    throw new DomainError('RESTORE_TARGET_NOT_EMPTY', `ClickHouse database ${warehouse.database} holds tables (${tables.slice(0, 3).map((t) => t.name).join(', ')}${tables.length > 3 ? ', …' : ''}): restore into a database without tables.`);
  }
}

/**
 * Creates each table of the backup in the warehouse's database (tables, then views), copies its
 * verified part files into the table's `detached/` folder, `ATTACH PART`s each, and checks that the
 * table holds the rows the manifest says. `staging` holds the backup's objects, already checked.
 */
export async function attachClickHouse(warehouse: ClickHouseWarehouse, manifest: BackupManifest, staging: string): Promise<AttachedTables> {
  const created: string[] = [];
  const stopped: string[] = [];
  const attached: AttachedTables = {
    startMerges: async () => {
      for (const table of stopped.splice(0)) await warehouse.execute(`SYSTEM START MERGES ${table}`);
    },
    drop: async () => {
      for (const table of created.splice(0).reverse()) await warehouse.execute(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    },
  };
  const tables = [...(manifest.clickhouse?.tables ?? [])].sort((a, b) => Number(a.engine === 'View') - Number(b.engine === 'View'));
  try {
    for (const table of tables) {
      await warehouse.execute(await readFile(join(staging, table.ddl), 'utf8'));
      created.push(table.name);
      if (table.engine === 'View') continue;
      await warehouse.execute(`SYSTEM STOP MERGES ${table.name}`);
      stopped.push(table.name);
      const detached = join(await dataPathOf(warehouse, table.name), 'detached');
      for (const part of table.parts) {
        await mkdir(join(detached, part));
        const prefix = partObject(table.name, part, '');
        for (const object of manifest.objects.filter((o) => o.name.startsWith(prefix))) {
          await copyFile(join(staging, object.name), join(detached, part, object.name.slice(prefix.length)));
        }
        await warehouse.execute(`ALTER TABLE ${table.name} ATTACH PART '${part}'`);
      }
      const [count] = await warehouse.query<{ n: number | string }>(`SELECT count() AS n FROM ${table.name}`);
      if (Number(count!.n) !== table.rows) {
        throw new DomainError('BACKUP_VALIDATION_FAILED', `ClickHouse table ${table.name} holds ${Number(count!.n)} rows after its ${table.parts.length} parts were attached; the manifest says ${table.rows}.`);
      }
    }
    return attached;
  } catch (error) {
    await attached.drop();
    throw error;
  }
}

/** Where the server keeps `table`'s parts, once this machine can write there. */
async function dataPathOf(warehouse: ClickHouseWarehouse, table: string): Promise<string> {
  const [row] = await warehouse.query<{ data_path: string }>('SELECT data_path FROM system.tables WHERE database = currentDatabase() AND name = ?', [table]);
  const path = row?.data_path ?? '';
  try {
    await access(join(path, 'detached'), constants.W_OK);
  } catch (error) {
    throw new DomainError('BACKUP_SOURCE_UNREADABLE', `ClickHouse keeps ${warehouse.database}.${table} under ${path || '(unknown)'}, where this machine cannot write (${(error as Error).message}): run the restore on the ClickHouse host, as the user that owns its data.`);
  }
  return path;
}
