import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Row, SqlValue } from '../../kernel/warehouse/index.ts';
import type { BackupManifest, BackupObject } from './backup-manifest.ts';
import { ledgerHeads } from './ledger-heads.ts';
import { sha256File } from '../../kernel/files/index.ts';
import { quoteLiteral } from './object-digest.ts';

/** A DuckDB database to back up: the warehouse (which holds the state in the embedded default) or a state store of its own. */
export interface DuckDBSource {
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

/** A backup object written to a local file, not yet on the target. */
export interface StagedObject extends BackupObject {
  path: string;
}

export interface DuckDBExport {
  objects: StagedObject[];
  rowCounts: Record<string, number>;
  ledger: BackupManifest['ledger'];
}

/**
 * DuckDB's `EXPORT DATABASE` of `source` into `staging` (one transaction: one MVCC snapshot, while
 * the platform keeps writing), as its schema and one Parquet file per table, each checksummed. Row
 * counts and each tenant's ledger head are read from the exported files themselves.
 */
export async function exportDuckDB(source: DuckDBSource, staging: string): Promise<DuckDBExport> {
  await source.query(`EXPORT DATABASE ${quoteLiteral(staging)} (FORMAT PARQUET)`);
  const tables = tablesOf(await readFile(join(staging, 'load.sql'), 'utf8'));
  const files = (await readdir(staging)).filter((file) => file !== 'load.sql').sort();
  const objects: StagedObject[] = [];
  const rowCounts: Record<string, number> = {};
  let ledger: BackupManifest['ledger'] = {};
  for (const file of files) {
    const path = join(staging, file);
    const table = tables.get(file);
    objects.push({ name: file, path, sha256: await sha256File(path), bytes: (await stat(path)).size, ...(table ? { table } : {}) });
    if (!table) continue;
    const [count] = await source.query<{ n: bigint | number }>(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(path)})`);
    rowCounts[table] = Number(count!.n);
    if (table === 'ledger_entries') {
      ledger = ledgerHeads(await source.query(`SELECT tenant_id, leaf_hash FROM read_parquet(${quoteLiteral(path)}) ORDER BY tenant_id, log_index`));
    }
  }
  return { objects, rowCounts, ledger };
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
