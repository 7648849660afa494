import { randomBytes } from 'node:crypto';
import { access, readFile, readdir, rm, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import type { ClickHouseWarehouse } from '../../kernel/warehouse/index.ts';
import type { ClickHouseTableBackup } from './backup-manifest.ts';
import type { StagedObject } from './export-duckdb.ts';
import { sha256File } from './object-digest.ts';

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
  const tables = await warehouse.query<{ name: string; engine: string; data_path: string }>(
    'SELECT name, engine, data_path FROM system.tables WHERE database = currentDatabase() ORDER BY name',
  );
  const merging = tables.filter((table) => table.engine.endsWith('MergeTree'));
  const other = tables.find((table) => !table.engine.endsWith('MergeTree') && table.engine !== 'View');
  if (other) throw new DomainError('BACKUP_SOURCE_UNREADABLE', `${database}.${other.name} is a ${other.engine} table: backups of ClickHouse hold MergeTree tables and views only.`);
  const root = merging.length > 0 ? await serverRoot(merging[0]!.data_path, database) : '';
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
      const parts = table.engine === 'View' ? [] : await frozenParts(join(shadow, 'data', escapeName(database), escapeName(table.name)));
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

/** The server's `<path>` from a table's data folder (`<path>data/<database>/<table>/`), once it is readable here. */
async function serverRoot(dataPath: string, database: string): Promise<string> {
  const marker = `/data/${escapeName(database)}/`;
  const at = dataPath.lastIndexOf(marker);
  const root = at < 0 ? '' : dataPath.slice(0, at + 1);
  try {
    if (!root) throw new Error(`unexpected data path ${dataPath}`);
    await access(join(root, 'data'), constants.R_OK | constants.X_OK);
    await access(root, constants.W_OK);
  } catch (error) {
    throw new DomainError('BACKUP_SOURCE_UNREADABLE', `ClickHouse keeps ${database} under ${root || dataPath}, which this machine cannot read and write (${(error as Error).message}): run the backup on the ClickHouse host, as the user that owns its data.`);
  }
  return root;
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

/** ClickHouse's file name of a database or table: identifiers of the platform are plain, so themselves. */
function escapeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** `CREATE TABLE db.t …` as `CREATE TABLE t …`: a restore creates it in another database. */
export function withoutDatabase(statement: string, database: string): string {
  const qualified = new RegExp(`^(CREATE (?:TABLE|VIEW|MATERIALIZED VIEW) )(?:\`?${database}\`?)\\.`);
  if (!qualified.test(statement)) throw new DomainError('BACKUP_SOURCE_UNREADABLE', `SHOW CREATE TABLE answered a statement this backup cannot read: ${statement.slice(0, 120)}`);
  return statement.replace(qualified, '$1');
}
