import { timeOrderedId } from '../../../kernel/ids/index.ts';
import { sql, TenantScope } from '../../../platform/tenancy/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sha256File } from '../../../kernel/files/index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { BillFile, BillFileError, type ParkedBillRow } from './bill-file.ts';
import type { BillFormat } from './bill-formats.ts';
import { BATCH_COLUMNS, BILL_ROW_COLUMNS, PARKED_COLUMNS } from './focus-columns.ts';

export interface BillImportOptions {
  /** The tenant whose bill it is (the platform operator, normally). */
  tenant: string;
  format?: BillFormat;
  /** Name recorded for the file (defaults to its base name). */
  fileName?: string;
  /** The file's SHA-256 when the caller computed it already (an upload hashed while it was stored). */
  checksum?: string;
}

export interface BillImportReport {
  batch_id: string;
  file_name: string;
  checksum: string;
  format: BillFormat | string;
  rows_read: number;
  rows_loaded: number;
  rows_parked: number;
  /** True when a file with this checksum was imported before: nothing was written this time. */
  already_imported: boolean;
  notes: string[];
  /** The first parked rows, for messages (all of them are in bill_rows_parked). */
  parked: ParkedBillRow[];
  seconds: number;
}

const SHOWN_PARKED = 50;

/** The tenant's earlier import of the file with this SHA-256, answered as a re-import that writes nothing; undefined when there is none. */
export async function findImportedBill(scope: TenantScope, checksum: string, fileName: string): Promise<BillImportReport | undefined> {
  const [p] = await scope.query<{ batch_id: string; format: string; rows_read: number; rows_loaded: number; rows_parked: number }>(
    sql`SELECT batch_id, format, rows_read, rows_loaded, rows_parked FROM ${scope.table('bill_batches', { where: sql`checksum = ${checksum}` })} ORDER BY imported_at LIMIT 1`,
  );
  if (!p) return undefined;
  return {
    batch_id: p.batch_id, file_name: fileName, checksum, format: p.format,
    rows_read: Number(p.rows_read), rows_loaded: Number(p.rows_loaded), rows_parked: Number(p.rows_parked),
    already_imported: true, notes: [], parked: [], seconds: 0,
  };
}

/**
 * Imports one bill file as a batch: its rows into bill_rows, unreadable rows
 * parked in bill_rows_parked with their line and column, and the batch in
 * bill_batches — written last, so a batch that failed half-way is never read
 * (attribution reads only recorded batches). A file whose checksum was
 * imported before is recognised and not written again, also when two imports
 * of it meet in one process.
 */
export async function importBillFile(warehouse: Warehouse, path: string, options: BillImportOptions): Promise<BillImportReport> {
  const started = performance.now();
  const checksum = options.checksum ?? await sha256File(path).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT' ? new BillFileError(`${path}: no such file`) : error;
  });
  const fileName = options.fileName ?? basename(path);
  // One import of a file at a time in this process: a second (a double-clicked upload, a retried call) waits for the first and then finds it.
  const key = `${options.tenant}\n${checksum}`;
  for (let running = importing.get(key); running; running = importing.get(key)) await running.catch(() => undefined);
  const work = importOnce(warehouse, path, { ...options, checksum, fileName, started });
  importing.set(key, work);
  try {
    return await work;
  } finally {
    if (importing.get(key) === work) importing.delete(key);
  }
}

/** Imports under way in this process, by tenant and checksum. */
const importing = new Map<string, Promise<BillImportReport>>();

async function importOnce(
  warehouse: Warehouse,
  path: string,
  options: BillImportOptions & { checksum: string; fileName: string; started: number },
): Promise<BillImportReport> {
  const { checksum, fileName, started } = options;
  const previous = await findImportedBill(new TenantScope(warehouse, options.tenant), checksum, fileName);
  if (previous) return { ...previous, seconds: (performance.now() - started) / 1000 };
  const file = await BillFile.open(path, options.format);
  try {
    const batchId = timeOrderedId();
    // The rows go file to file: DuckDB writes them, the warehouse reads them, none passes through JS. Parquet where
    // the warehouse reads it: printing and parsing 1M rows' timestamps and wide decimals as CSV took ~9 of 22 s.
    const staging = await mkdtemp(join(tmpdir(), 'companyos-bill-rows-'));
    let loaded: number;
    const shown: ParkedBillRow[] = [];
    let parkedCount = 0;
    try {
      loaded = await file.writeRows(join(staging, 'bill_rows.parquet'), options.tenant, batchId);
      if (loaded && warehouse.insertParquet) {
        const { path: rows, ...read } = await file.loadableParquet(join(staging, 'bill_rows_numbered.parquet'));
        await warehouse.insertParquet('bill_rows', file.columns, [rows], read);
      } else if (loaded) {
        const csv = join(staging, 'bill_rows.csv');
        await file.writeLoadableCsv(csv);
        await warehouse.insertCsv('bill_rows', BILL_ROW_COLUMNS, csv);
      }
      // A page at a time: every parked row of a large file held at once took ~12 bytes of heap a byte parked.
      for await (const page of file.parkedPages()) {
        await warehouse.insert('bill_rows_parked', PARKED_COLUMNS, page.map((p) => [options.tenant, batchId, fileName, p.line, p.column, p.code, p.reason, p.raw]));
        shown.push(...page.slice(0, SHOWN_PARKED - shown.length));
        parkedCount += page.length;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    // Last: models read only the rows of recorded batches, so an import that stops before this is never read.
    await warehouse.insert('bill_batches', BATCH_COLUMNS, [
      [options.tenant, batchId, fileName, checksum, file.format, file.recordCount, loaded, parkedCount, new Date()],
    ]);
    return {
      batch_id: batchId, file_name: fileName, checksum, format: file.format,
      rows_read: file.recordCount, rows_loaded: loaded, rows_parked: parkedCount,
      already_imported: false, notes: [...file.notes], parked: shown,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await file.close();
  }
}
