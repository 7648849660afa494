import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerKey } from '../../kernel/ledger/index.ts';
import { MANIFEST_FORMAT, MANIFEST_OBJECT, manifestObjectBytes, type BackupManifest } from './backup-manifest.ts';
import type { BackupTarget } from './backup-target.ts';
import { newBackupId } from './backup-ids.ts';
import { exportDuckDB, type DuckDBSource, type StagedObject } from './export-duckdb.ts';

export type { DuckDBSource } from './export-duckdb.ts';
export { quoteLiteral } from './object-digest.ts';

export interface BackupOptions {
  target: BackupTarget;
  /** Signs the manifest: the ledger's active key. */
  key: LedgerKey;
  now?: () => Date;
  /** Progress for people: one line per step. */
  progress?: (line: string) => void;
}

/** The folder of one backup's objects on its target. */
export const backupFolder = (backupId: string) => `backups/${backupId}`;

/** What a backup holds, as staged: its manifest less the fields `storeBackup` fills in. */
export type StagedBackup = Omit<BackupManifest, 'format' | 'backupId' | 'snapshotAt' | 'completedAt' | 'objects'> & { objects: StagedObject[] };

/**
 * A consistent snapshot of a DuckDB database (`exportDuckDB`: one transaction, while the platform
 * keeps writing), each object checksummed and stored, the signed manifest last: a backup
 * interrupted before it has no manifest and is never restored from.
 */
export async function takeBackup(source: DuckDBSource, options: BackupOptions): Promise<BackupManifest> {
  const snapshotAt = (options.now ?? (() => new Date()))();
  const staging = await mkdtemp(join(tmpdir(), 'companyos-backup-'));
  try {
    const exported = await exportDuckDB(source, staging);
    return await storeBackup({ engine: 'duckdb', ...exported }, snapshotAt, options);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Stores each staged object under a new backup id, then the signed manifest, last. */
export async function storeBackup(staged: StagedBackup, snapshotAt: Date, options: BackupOptions): Promise<BackupManifest> {
  const now = options.now ?? (() => new Date());
  const say = options.progress ?? (() => undefined);
  const backupId = newBackupId(snapshotAt);
  const { objects: stagedObjects, ...held } = staged;
  const tables = Object.keys(held.rowCounts).length + (held.clickhouse?.tables.length ?? 0);
  const rows = sum(Object.values(held.rowCounts)) + sum(held.clickhouse?.tables.map((t) => t.rows) ?? []);
  say(`snapshot ${backupId}: ${tables} tables, ${rows} rows, ${sum(stagedObjects.map((o) => o.bytes))} bytes`);
  for (const object of stagedObjects) {
    await options.target.put(`${backupFolder(backupId)}/${object.name}`, object.path);
    say(`stored ${object.name} (${object.bytes} bytes)`);
  }
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT, backupId, snapshotAt: snapshotAt.toISOString(), completedAt: now().toISOString(),
    objects: stagedObjects.map(({ path: _path, ...object }) => object), ...held,
  };
  const staging = await mkdtemp(join(tmpdir(), 'companyos-manifest-'));
  try {
    const manifestPath = join(staging, MANIFEST_OBJECT);
    await writeFile(manifestPath, manifestObjectBytes(manifest, options.key));
    await options.target.put(`${backupFolder(backupId)}/${MANIFEST_OBJECT}`, manifestPath);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  say(`backup ${backupId} complete on ${options.target.description}`);
  return manifest;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
