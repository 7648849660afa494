import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationError } from './errors.ts';
import { splitStatements } from './sql-statements.ts';
import type { Warehouse } from './warehouse.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** An engine's migrations, and the DDL of the table that records them (`schema_migrations.sql`). */
export interface MigrationSet {
  ledgerDdl: string;
  migrations: Migration[];
}

export interface MigrationReport {
  applied: Migration[];
  alreadyApplied: number;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const LEDGER_FILE = 'schema_migrations.sql';

/** Reads `schema_migrations.sql` and the `NNNN_name.sql` files of `dir`, in version order. */
export async function loadMigrations(dir: string): Promise<MigrationSet> {
  return { ledgerDdl: await readFile(join(dir, LEDGER_FILE), 'utf8'), migrations: await loadMigrationFiles(dir) };
}

async function loadMigrationFiles(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql') && f !== LEDGER_FILE).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new MigrationError(`${join(dir, file)}: a migration file is named NNNN_name.sql`);
    const sql = await readFile(join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push({ version: Number(match[1]), name: match[2]!, sql, checksum });
  }
  return migrations;
}

/**
 * The migrations of several folders as one sequence (the kernel's, then each pack's): their
 * versions share one numbering, recorded in one `schema_migrations`, so a version used twice is
 * refused. A folder that does not exist adds nothing (a pack with tables on one engine only).
 */
export async function loadMigrationsFrom(dirs: readonly string[]): Promise<Migration[]> {
  const sets = await Promise.all(dirs.map((dir) => (existsSync(dir) ? loadMigrationFiles(dir) : Promise.resolve([]))));
  const seen = new Map<number, string>();
  sets.forEach((migrations, i) => {
    for (const migration of migrations) {
      const other = seen.get(migration.version);
      if (other) throw new MigrationError(`migration ${migration.version} is numbered twice: ${other} and ${join(dirs[i]!, `${String(migration.version).padStart(4, '0')}_${migration.name}.sql`)}`);
      seen.set(migration.version, join(dirs[i]!, `${String(migration.version).padStart(4, '0')}_${migration.name}.sql`));
    }
  });
  return sets.flat().sort((a, b) => a.version - b.version);
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its
 * own transaction where the engine has them. Running it again changes nothing.
 * A migration edited after it was applied is an error: write a new one instead.
 * On engines without transactions each statement must be safe to re-run
 * (`IF NOT EXISTS`), so that a migration that failed half-way can be retried.
 */
export async function migrate(warehouse: Warehouse, { ledgerDdl, migrations }: MigrationSet): Promise<MigrationReport> {
  await warehouse.execute(ledgerDdl);
  const rows = await warehouse.query<{ version: number; checksum: string }>(
    'SELECT version, checksum FROM schema_migrations ORDER BY version',
  );
  const recorded = new Map(rows.map((r) => [r.version, r.checksum]));
  const applied: Migration[] = [];
  for (const migration of migrations) {
    const checksum = recorded.get(migration.version);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new MigrationError(
          `migration ${migration.version} (${migration.name}) was changed after it was applied; add a new migration instead`,
        );
      }
      continue;
    }
    const apply = async () => {
      for (const statement of splitStatements(migration.sql)) await warehouse.execute(statement);
      await warehouse.execute('INSERT INTO schema_migrations VALUES (?, ?, ?, ?)', [
        migration.version,
        migration.name,
        migration.checksum,
        new Date(),
      ]);
    };
    try {
      await (warehouse.capabilities.transactions ? warehouse.transaction(apply) : apply());
    } catch (error) {
      throw new MigrationError(`migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    applied.push(migration);
  }
  return { applied, alreadyApplied: recorded.size };
}
