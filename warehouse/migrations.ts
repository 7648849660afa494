import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationError } from './errors.ts';
import type { Warehouse } from './warehouse.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: Migration[];
  alreadyApplied: number;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads `NNNN_name.sql` files from `dir`, in version order. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
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
 * Applies the migrations not yet recorded in `schema_migrations`, each in its
 * own transaction. Running it again changes nothing. A migration edited after
 * it was applied is an error: write a new one instead.
 */
export async function migrate(warehouse: Warehouse, migrations: readonly Migration[]): Promise<MigrationReport> {
  await warehouse.execute(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)',
  );
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
    try {
      await warehouse.transaction(async () => {
        await warehouse.execute(migration.sql);
        await warehouse.execute('INSERT INTO schema_migrations VALUES (?, ?, ?, ?)', [
          migration.version,
          migration.name,
          migration.checksum,
          new Date(),
        ]);
      });
    } catch (error) {
      throw new MigrationError(`migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    applied.push(migration);
  }
  return { applied, alreadyApplied: recorded.size };
}
