import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import type { KeySource } from '../../kernel/ledger/index.ts';
import { DuckDBWarehouse } from '../../kernel/warehouse/index.ts';
import { MANIFEST_OBJECT, openManifest, type BackupManifest } from './backup-manifest.ts';
import type { BackupTarget } from './backup-target.ts';
import { ledgerHeads } from './ledger-heads.ts';
import { backupFolder, quoteLiteral, sha256File } from './take-backup.ts';

export interface RestoreOptions {
  target: BackupTarget;
  /** Verifier keys the manifest's signature must verify with. */
  keys: KeySource;
  /** The data folder to restore into: empty or absent. The database becomes `warehouse.duckdb` in it. */
  dataDir: string;
  /** A backup id; the latest complete backup when absent. */
  backupId?: string;
  progress?: (line: string) => void;
  now?: () => Date;
}

export interface RestoreReport {
  backupId: string;
  snapshotAt: string;
  objects: number;
  bytes: number;
  rows: number;
  tenantsVerified: number;
  /** From the start of the restore to a validated database. */
  rtoMs: number;
}

/** The database file a restore writes (the embedded default's warehouse, which holds the state). */
export const RESTORED_DATABASE = 'warehouse.duckdb';

/**
 * Restores a backup into an empty data folder: the manifest's signature first, then every
 * object's size and SHA-256 before any is used (the first that differs is named), then the
 * schema and the tables into a new database, which counts as restored only once its row
 * counts and every tenant's ledger root equal the manifest's; until then it has another name.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreReport> {
  const now = options.now ?? (() => new Date());
  const say = options.progress ?? (() => undefined);
  const started = now().getTime();
  await assertEmpty(options.dataDir);
  const manifest = await readManifest(options);
  const staging = join(options.dataDir, `.restore-${manifest.backupId}`);
  const partial = join(options.dataDir, `${RESTORED_DATABASE}.restoring`);
  await mkdir(staging, { recursive: true });
  try {
    for (const object of manifest.objects) {
      const name = `${backupFolder(manifest.backupId)}/${object.name}`;
      const path = join(staging, object.name);
      if (!(await options.target.get(name, path))) throw new DomainError('BACKUP_OBJECT_MISSING', `${name} is listed in the manifest but missing from ${options.target.description}.`);
      const bytes = (await stat(path)).size;
      if (bytes !== object.bytes) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} holds ${bytes} bytes; the manifest says ${object.bytes}.`);
      const sha256 = await sha256File(path);
      if (sha256 !== object.sha256) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} has SHA-256 ${sha256}; the manifest says ${object.sha256}.`);
    }
    say(`${manifest.objects.length} objects of ${manifest.backupId} verified`);
    const database = await DuckDBWarehouse.open(partial);
    try {
      await database.execute(await readFile(join(staging, 'schema.sql'), 'utf8'));
      for (const object of manifest.objects.filter((o) => o.table)) {
        await database.execute(`COPY ${quoteIdentifier(object.table!)} FROM ${quoteLiteral(join(staging, object.name))} (FORMAT parquet)`);
      }
      say(`${Object.keys(manifest.rowCounts).length} tables loaded`);
      await validate(database, manifest);
      await database.execute('CHECKPOINT');
    } finally {
      await database.close();
    }
    await rename(partial, join(options.dataDir, RESTORED_DATABASE));
  } catch (error) {
    await rm(partial, { force: true });
    await rm(`${partial}.wal`, { force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const report: RestoreReport = {
    backupId: manifest.backupId,
    snapshotAt: manifest.snapshotAt,
    objects: manifest.objects.length,
    bytes: manifest.objects.reduce((total, o) => total + o.bytes, 0),
    rows: Object.values(manifest.rowCounts).reduce((total, n) => total + n, 0),
    tenantsVerified: Object.keys(manifest.ledger).length,
    rtoMs: now().getTime() - started,
  };
  say(`restored ${report.backupId} (snapshot ${report.snapshotAt}) into ${options.dataDir}: ${report.rows} rows, ${report.tenantsVerified} ledgers verified, RTO ${(report.rtoMs / 1000).toFixed(1)} s`);
  return report;
}

/** The chosen backup's manifest, verified; only backups with a manifest are complete. */
async function readManifest(options: RestoreOptions): Promise<BackupManifest> {
  const manifests = (await options.target.list('backups')).filter((name) => name.endsWith(`/${MANIFEST_OBJECT}`)).sort();
  const chosen = options.backupId ? `${backupFolder(options.backupId)}/${MANIFEST_OBJECT}` : manifests.at(-1);
  if (!chosen || !manifests.includes(chosen)) {
    throw new DomainError('BACKUP_NOT_FOUND', options.backupId
      ? `${options.target.description} holds no complete backup ${options.backupId}.`
      : `${options.target.description} holds no complete backup.`);
  }
  const local = join(options.dataDir, `.${MANIFEST_OBJECT}`);
  await mkdir(options.dataDir, { recursive: true });
  try {
    await options.target.get(chosen, local);
    let envelope: unknown;
    try {
      envelope = JSON.parse(await readFile(local, 'utf8'));
    } catch {
      throw new DomainError('BACKUP_MANIFEST_INVALID', `${chosen} is not readable JSON.`);
    }
    return openManifest(envelope, options.keys, chosen);
  } finally {
    await rm(local, { force: true });
  }
}

async function validate(database: DuckDBWarehouse, manifest: BackupManifest): Promise<void> {
  for (const [table, expected] of Object.entries(manifest.rowCounts)) {
    const [row] = await database.query<{ n: bigint | number }>(`SELECT count(*) AS n FROM ${quoteIdentifier(table)}`);
    if (Number(row!.n) !== expected) throw new DomainError('BACKUP_VALIDATION_FAILED', `${table} has ${Number(row!.n)} rows after the restore; the manifest says ${expected}.`);
  }
  if (!('ledger_entries' in manifest.rowCounts)) return;
  const heads = ledgerHeads(await database.query('SELECT tenant_id, leaf_hash FROM ledger_entries ORDER BY tenant_id, log_index'));
  for (const [tenant, expected] of Object.entries(manifest.ledger)) {
    const head = heads[tenant];
    if (head?.size !== expected.size || head.rootHash !== expected.rootHash) {
      throw new DomainError('BACKUP_VALIDATION_FAILED', `${tenant}'s ledger restored as ${head?.size ?? 0} entries with root ${head?.rootHash ?? '-'}; the manifest says ${expected.size} with root ${expected.rootHash}.`);
    }
  }
}

async function assertEmpty(dataDir: string): Promise<void> {
  const entries = await readdir(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (entries.length > 0) throw new DomainError('RESTORE_TARGET_NOT_EMPTY', `${dataDir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): restore into an empty folder.`);
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
