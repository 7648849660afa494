import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerKey } from '../../kernel/ledger/index.ts';
import type { Row, SqlValue } from '../../kernel/warehouse/index.ts';
import { MANIFEST_FORMAT, MANIFEST_OBJECT, manifestObjectBytes, type BackupManifest, type BackupObject } from './backup-manifest.ts';
import type { BackupTarget } from './backup-target.ts';
import { newBackupId } from './backup-ids.ts';
import { ledgerHeads } from './ledger-heads.ts';

/** A DuckDB database to back up: the warehouse (which holds the state in the embedded default) or a state store of its own. */
export interface DuckDBSource {
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

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

/**
 * A consistent snapshot of the database: DuckDB's `EXPORT DATABASE` reads every table in one
 * transaction (one MVCC snapshot, while the platform keeps writing), as its schema and one
 * Parquet file per table. Each object is checksummed and stored; the signed manifest goes
 * last, so a backup interrupted before it has no manifest and is never restored from.
 * Row counts and each tenant's ledger head are read from the exported files themselves.
 */
export async function takeBackup(source: DuckDBSource, options: BackupOptions): Promise<BackupManifest> {
  const now = options.now ?? (() => new Date());
  const say = options.progress ?? (() => undefined);
  const snapshotAt = now();
  const backupId = newBackupId(snapshotAt);
  const staging = await mkdtemp(join(tmpdir(), 'companyos-backup-'));
  try {
    await source.query(`EXPORT DATABASE ${quoteLiteral(staging)} (FORMAT PARQUET)`);
    const tables = tablesOf(await readFile(join(staging, 'load.sql'), 'utf8'));
    const files = (await readdir(staging)).filter((file) => file !== 'load.sql').sort();
    const objects: BackupObject[] = [];
    const rowCounts: Record<string, number> = {};
    let ledger: BackupManifest['ledger'] = {};
    for (const file of files) {
      const path = join(staging, file);
      const table = tables.get(file);
      objects.push({ name: file, sha256: await sha256File(path), bytes: (await stat(path)).size, ...(table ? { table } : {}) });
      if (!table) continue;
      const [count] = await source.query<{ n: bigint | number }>(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(path)})`);
      rowCounts[table] = Number(count!.n);
      if (table === 'ledger_entries') {
        ledger = ledgerHeads(await source.query(`SELECT tenant_id, leaf_hash FROM read_parquet(${quoteLiteral(path)}) ORDER BY tenant_id, log_index`));
      }
    }
    say(`snapshot ${backupId}: ${Object.keys(rowCounts).length} tables, ${sum(Object.values(rowCounts))} rows, ${sum(objects.map((o) => o.bytes))} bytes`);
    for (const object of objects) {
      await options.target.put(`${backupFolder(backupId)}/${object.name}`, join(staging, object.name));
      say(`stored ${object.name} (${object.bytes} bytes)`);
    }
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT, backupId, engine: 'duckdb', snapshotAt: snapshotAt.toISOString(), completedAt: now().toISOString(), objects, rowCounts, ledger,
    };
    const manifestPath = join(staging, MANIFEST_OBJECT);
    await writeFile(manifestPath, manifestObjectBytes(manifest, options.key));
    await options.target.put(`${backupFolder(backupId)}/${MANIFEST_OBJECT}`, manifestPath);
    say(`backup ${backupId} complete on ${options.target.description}`);
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Which table each exported Parquet file holds, from the export's load.sql (`COPY <table> FROM '<dir>/<file>' …`). */
function tablesOf(loadSql: string): Map<string, string> {
  const tables = new Map<string, string>();
  for (const match of loadSql.matchAll(/^COPY\s+("(?:[^"]|"")+"|[^\s(]+)\s+FROM\s+'((?:[^']|'')+)'/gm)) {
    const table = match[1]!.startsWith('"') ? match[1]!.slice(1, -1).replace(/""/g, '"') : match[1]!;
    const file = match[2]!.replace(/''/g, "'").split('/').pop()!;
    tables.set(file, table);
  }
  return tables;
}

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
