import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import type { KeySource } from '../../kernel/ledger/index.ts';
import { DuckDBStateStore, STATE_FILE } from '../../kernel/state/index.ts';
import { DuckDBWarehouse, type ClickHouseWarehouse, type TableDefinition, type Warehouse } from '../../kernel/warehouse/index.ts';
import { MANIFEST_OBJECT, openManifest, type BackupManifest } from './backup-manifest.ts';
import type { BackupTarget } from './backup-target.ts';
import { backupIdTime } from './backup-ids.ts';
import { ledgerHeads } from './ledger-heads.ts';
import { applyChanges, fetchChanges, type ReplayReport } from './replay-changes.ts';
import { assertNoTables, attachClickHouse, type AttachedTables } from './restore-clickhouse.ts';
import { sha256File } from '../../kernel/files/index.ts';
import { quoteLiteral } from './object-digest.ts';
import { backupFolder } from './take-backup.ts';

export interface RestoreOptions {
  target: BackupTarget;
  /** Verifier keys the manifest's signature must verify with. */
  keys: KeySource;
  /** The data folder to restore into: empty or absent. The database becomes `warehouse.duckdb` in it (`state.duckdb` for a ClickHouse backup). */
  dataDir: string;
  /** Where a backup of a ClickHouse warehouse is restored: a database without tables on a server whose data folder this machine can write (its host). */
  clickhouse?: ClickHouseWarehouse;
  /** A backup id; the latest complete backup when absent (with `toTime`: the latest taken by then). */
  backupId?: string;
  /** Replay the backup's shipped changes acknowledged up to this time only (default: all of them). */
  toTime?: Date;
  /** The table registry (`platformTables()`): the shipped changes of state tables are replayed through the state store, which needs their keys. */
  tables: readonly TableDefinition[];
  progress?: (line: string) => void;
  now?: () => Date;
  /**
   * Rebuilds what is derived from the restored data (the models: shipped changes hold none) before the
   * database takes its name; counted in the RTO. A throw fails the restore. Its answer is printed.
   */
  rebuild?: (warehouse: Warehouse) => Promise<string>;
}

export interface RestoreReport {
  backupId: string;
  /** The verified manifest of the backup restored. */
  manifest: BackupManifest;
  snapshotAt: string;
  objects: number;
  bytes: number;
  rows: number;
  tenantsVerified: number;
  /** The shipped changes replayed over the snapshot. */
  replayed: ReplayReport;
  /** The newest write the restored database holds: the last change replayed, or the snapshot. */
  recoveredThrough: string;
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
  const clickhouse = manifest.engine === 'clickhouse' ? options.clickhouse : undefined;
  if (manifest.engine === 'clickhouse' && !clickhouse) {
    throw new DomainError('RESTORE_ENGINE_MISMATCH', `backup ${manifest.backupId} is of a ClickHouse warehouse (database ${manifest.clickhouse?.database}): restore it with COMPANYOS_WAREHOUSE=clickhouse and the server to restore into.`);
  }
  if (manifest.engine !== 'clickhouse' && options.clickhouse) {
    throw new DomainError('RESTORE_ENGINE_MISMATCH', `backup ${manifest.backupId} is of the embedded DuckDB database: restore it with COMPANYOS_WAREHOUSE=duckdb.`);
  }
  if (clickhouse) await assertNoTables(clickhouse);
  const staging = join(options.dataDir, `.restore-${manifest.backupId}`);
  const restored = clickhouse ? STATE_FILE : RESTORED_DATABASE;
  const partial = join(options.dataDir, `${restored}.restoring`);
  await mkdir(staging, { recursive: true });
  let replayed: ReplayReport;
  let tenantsVerified: number;
  let attached: AttachedTables | undefined;
  try {
    for (const object of manifest.objects) {
      const name = `${backupFolder(manifest.backupId)}/${object.name}`;
      const path = join(staging, object.name);
      await mkdir(dirname(path), { recursive: true });
      if (!(await options.target.get(name, path))) throw new DomainError('BACKUP_OBJECT_MISSING', `${name} is listed in the manifest but missing from ${options.target.description}.`);
      const bytes = (await stat(path)).size;
      if (bytes !== object.bytes) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} holds ${bytes} bytes; the manifest says ${object.bytes}.`);
      const sha256 = await sha256File(path);
      if (sha256 !== object.sha256) throw new DomainError('BACKUP_OBJECT_CORRUPT', `${name} has SHA-256 ${sha256}; the manifest says ${object.sha256}.`);
    }
    say(`${manifest.objects.length} objects of ${manifest.backupId} verified`);
    const changes = await fetchChanges({ target: options.target, keys: options.keys, backupId: manifest.backupId, staging, progress: say });
    const database = await DuckDBWarehouse.open(partial);
    try {
      await database.execute(await readFile(join(staging, 'schema.sql'), 'utf8'));
      for (const object of manifest.objects.filter((o) => o.table)) {
        await database.execute(`COPY ${quoteIdentifier(object.table!)} FROM ${quoteLiteral(join(staging, object.name))} (FORMAT parquet)`);
      }
      say(`${Object.keys(manifest.rowCounts).length} tables loaded`);
      await validate(database, manifest);
      if (clickhouse) {
        attached = await attachClickHouse(clickhouse, manifest, staging);
        say(`${manifest.clickhouse!.tables.length} ClickHouse tables attached in ${clickhouse.database}, row counts checked`);
      }
      const warehouse = clickhouse ?? database;
      const state = DuckDBStateStore.sharing(database, options.tables);
      try {
        replayed = await applyChanges(warehouse, state, changes, { staging, toTime: options.toTime, progress: say });
      } finally {
        await state.close();
      }
      tenantsVerified = await verifyLedgers(database);
      await attached?.startMerges();
      if (options.rebuild) say(await options.rebuild(warehouse));
      await database.execute('CHECKPOINT');
    } finally {
      await database.close();
    }
    await rename(partial, join(options.dataDir, restored));
  } catch (error) {
    await attached?.drop();
    await rm(partial, { force: true });
    await rm(`${partial}.wal`, { force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const report: RestoreReport = {
    backupId: manifest.backupId,
    manifest,
    snapshotAt: manifest.snapshotAt,
    objects: manifest.objects.length,
    bytes: manifest.objects.reduce((total, o) => total + o.bytes, 0),
    rows: [...Object.values(manifest.rowCounts), ...(manifest.clickhouse?.tables.map((t) => t.rows) ?? [])].reduce((total, n) => total + n, 0),
    tenantsVerified,
    replayed,
    recoveredThrough: replayed.recoveredThrough?.toISOString() ?? manifest.snapshotAt,
    rtoMs: now().getTime() - started,
  };
  say(`restored ${report.backupId} (snapshot ${report.snapshotAt}, ${replayed.changes} changes replayed) into ${options.dataDir}: writes through ${report.recoveredThrough} recovered, ${report.tenantsVerified} ledgers verified, RTO ${(report.rtoMs / 1000).toFixed(1)} s`);
  return report;
}

/** The chosen backup's manifest, verified; only backups with a manifest are complete. */
async function readManifest(options: RestoreOptions): Promise<BackupManifest> {
  const manifests = (await options.target.list('backups')).filter((name) => name.endsWith(`/${MANIFEST_OBJECT}`)).sort();
  const candidates = options.toTime ? manifests.filter((name) => backupIdTime(name.split('/').at(-2) ?? '') <= options.toTime!.getTime()) : manifests;
  if (options.toTime && !options.backupId && manifests.length > 0 && candidates.length === 0) {
    throw new DomainError('RESTORE_TIME_UNAVAILABLE', `${options.toTime.toISOString()} is before the first backup on ${options.target.description} (${new Date(backupIdTime(manifests[0]!.split('/').at(-2) ?? '')).toISOString()}): nothing holds the database as of then.`);
  }
  const chosen = options.backupId ? `${backupFolder(options.backupId)}/${MANIFEST_OBJECT}` : candidates.at(-1);
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
    const manifest = openManifest(envelope, options.keys, chosen);
    if (options.toTime && Date.parse(manifest.snapshotAt) > options.toTime.getTime()) {
      throw new DomainError('RESTORE_TIME_UNAVAILABLE', `backup ${manifest.backupId} was taken at ${manifest.snapshotAt}, after ${options.toTime.toISOString()}: choose an earlier backup, or a later time.`);
    }
    return manifest;
  } finally {
    await rm(local, { force: true });
  }
}

/**
 * Each tenant's restored log against every checkpoint stored for it: the root of the log's
 * first `tree_size` entries must be the checkpoint's. The number of tenants' logs checked.
 */
async function verifyLedgers(database: DuckDBWarehouse): Promise<number> {
  const rows = await database.query('SELECT tenant_id, leaf_hash FROM ledger_entries ORDER BY tenant_id, log_index');
  const byTenant = new Map<string, Record<string, unknown>[]>();
  for (const row of rows) {
    const tenant = String(row.tenant_id);
    if (!byTenant.has(tenant)) byTenant.set(tenant, []);
    byTenant.get(tenant)!.push(row);
  }
  const checkpoints = await database.query<{ tenant_id: string; tree_size: number | bigint; root_hash: string }>('SELECT tenant_id, tree_size, root_hash FROM ledger_checkpoints ORDER BY tenant_id, tree_size');
  for (const checkpoint of checkpoints) {
    const size = Number(checkpoint.tree_size);
    const leaves = byTenant.get(checkpoint.tenant_id) ?? [];
    if (leaves.length < size) throw new DomainError('BACKUP_VALIDATION_FAILED', `${checkpoint.tenant_id}'s log restored with ${leaves.length} entries, but a checkpoint of ${size} was stored: entries are missing.`);
    const root = ledgerHeads(leaves.slice(0, size))[checkpoint.tenant_id]!.rootHash;
    if (Buffer.from(root, 'hex').toString('base64') !== checkpoint.root_hash) {
      throw new DomainError('BACKUP_VALIDATION_FAILED', `${checkpoint.tenant_id}'s restored log does not have the root its checkpoint at size ${size} signed.`);
    }
  }
  return byTenant.size;
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
