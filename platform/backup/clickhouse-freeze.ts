import { randomBytes } from 'node:crypto';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import { escapeFileName, type ClickHouseWarehouse } from '../../kernel/warehouse/index.ts';
import type { ClickHouseTableBackup } from './backup-manifest.ts';
import type { StagedObject } from './export-duckdb.ts';
import { sha256File } from '../../kernel/files/index.ts';

/** The database's tables as `FREEZE` left them in the server's `shadow/` folder, until `release`. */
export interface FrozenClickHouse {
  database: string;
  tables: Omit<ClickHouseTableBackup, 'ddl'>[];
  /** Each table's `CREATE` statement, without the database's name. */
  ddl: Map<string, string>;
  /** Every frozen part's files, named `clickhouse/<table>/<part>/<file>`, read in place. */
  objects: StagedObject[];
  /** Removes the frozen copies: they would otherwise keep every byte of the parts, erased rows included, for ever. */
  release(): Promise<void>;
}

/** The object name of a frozen part's file. */
export const partObject = (table: string, part: string, file: string) => `clickhouse/${table}/${part}/${file}`;
const OBJECT_PART = /^[A-Za-z0-9._-]+$/;

/**
 * `ALTER TABLE … FREEZE WITH NAME` for every MergeTree table of the warehouse's database: the
 * server hard-links each active part into `<path>/shadow/<name>/` (instant, whatever the size;
 * merges go on). Views keep only their statement. Reading the frozen files needs the server's
 * data folder on this machine, as clickhouse-backup does; without it, nothing is frozen.
 * Call it while no write is under way when the tables must agree with one another.
 */
export async function freezeClickHouse(warehouse: ClickHouseWarehouse): Promise<FrozenClickHouse> {
  const database = warehouse.database;
  const tables = await warehouse.query<{ name: string; engine: string }>('SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name');
  const merging = tables.filter((table) => table.engine.endsWith('MergeTree'));
  const other = tables.find((table) => !table.engine.endsWith('MergeTree') && table.engine !== 'View');
  if (other) throw new DomainError('BACKUP_SOURCE_UNREADABLE', `${database}.${other.name} is a ${other.engine} table: backups of ClickHouse hold MergeTree tables and views only.`);
  const root = merging.length > 0 ? await serverRoot(warehouse) : '';
  const name = `companyos_${Date.now()}_${randomBytes(4).toString('hex')}`; // ClickHouse escapes other characters in the folder's name
  const shadow = join(root, 'shadow', name);
  const release = () => rm(shadow, { recursive: true, force: true });
  try {
    const ddl = new Map<string, string>();
    for (const table of tables) {
      const [shown] = await warehouse.query<{ statement: string }>(`SHOW CREATE TABLE ${table.name}`);
      ddl.set(table.name, withoutDatabase(shown!.statement, database));
    }
    for (const table of merging) await warehouse.execute(`ALTER TABLE ${table.name} FREEZE WITH NAME '${name}'`);
    const frozen: FrozenClickHouse['tables'] = [];
    const objects: StagedObject[] = [];
    for (const table of tables) {
      const parts = table.engine === 'View' ? [] : await frozenParts(join(shadow, 'data', escapeFileName(database), escapeFileName(table.name)));
      let rows = 0;
      for (const part of parts) {
        rows += part.rows;
        for (const file of part.files) {
          if (!OBJECT_PART.test(file) || !OBJECT_PART.test(part.name)) throw new DomainError('BACKUP_SOURCE_UNREADABLE', `${table.name}'s part ${part.name} holds a file named ${JSON.stringify(file)}, which a backup object cannot be named after.`);
          const path = join(part.dir, file);
          objects.push({ name: partObject(table.name, part.name, file), path, sha256: await sha256File(path), bytes: (await stat(path)).size });
        }
      }
      frozen.push({ name: table.name, engine: table.engine, rows, parts: parts.map((part) => part.name) });
    }
    return { database, tables: frozen, ddl, objects, release };
  } catch (error) {
    await release();
    throw error;
  }
}

async function frozenParts(dir: string): Promise<{ name: string; dir: string; rows: number; files: string[] }[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const parts = [];
  for (const name of names.sort()) {
    const partDir = join(dir, name);
    const files = (await readdir(partDir)).sort();
    parts.push({ name, dir: partDir, rows: Number((await readFile(join(partDir, 'count.txt'), 'utf8')).trim()), files });
  }
  return parts;
}

/** The server's `<path>`, once this machine can read and write there. */
async function serverRoot(warehouse: ClickHouseWarehouse): Promise<string> {
  const found = await warehouse.serverDataRoot();
  if ('unreachable' in found) {
    throw new DomainError('BACKUP_SOURCE_UNREADABLE', `ClickHouse keeps ${warehouse.database} where this machine cannot reach it (${found.unreachable}): run the backup on the ClickHouse host, as the user that owns its data.`);
  }
  return found.root;
}

/** `CREATE TABLE db.t …` as `CREATE TABLE t …`: a restore creates it in another database. */
export function withoutDatabase(statement: string, database: string): string {
  const qualified = new RegExp(`^(CREATE (?:TABLE|VIEW|MATERIALIZED VIEW) )(?:\`?${database}\`?)\\.`);
  if (!qualified.test(statement)) throw new DomainError('BACKUP_SOURCE_UNREADABLE', `SHOW CREATE TABLE answered a statement this backup cannot read: ${statement.slice(0, 120)}`);
  return statement.replace(qualified, '$1');
}
