import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { CSV_FILE, decimalAsText, DuckDBWarehouse } from '../../../kernel/warehouse/index.ts';
import { BILL_FORMATS, detectFormat, focusMapping, REQUIRED_SOURCE_COLUMNS, type BillFormat } from './bill-formats.ts';
import { BILL_MACROS, tagObjectsSelect, typedBillSelect } from './bill-sql.ts';
import { csvRecordStarts, readCsvHeader } from './csv-lines.ts';
import { FOCUS_COLUMNS } from './focus-columns.ts';
import { literal, quote, RawColumns } from './raw-columns.ts';

/** A bill file that cannot be imported at all: the message names the file and what is wrong. */
export class BillFileError extends Error {
  override readonly name = 'BillFileError';
}

/** A row of a file that could not be loaded, with where and why. */
export interface ParkedBillRow {
  line: number;
  column: string;
  code: 'BILL_VALUE_MISSING' | 'BILL_VALUE_INVALID' | 'BILL_ROW_MALFORMED';
  reason: string;
  raw: string;
}

/**
 * A bill file read by DuckDB (CSV or Parquet) into a scratch in-memory
 * database and mapped onto FOCUS; `writeRows` types them into a Parquet file.
 */
export class BillFile {
  private constructor(
    readonly path: string,
    readonly format: BillFormat,
    private readonly readingNotes: readonly string[],
    readonly recordCount: number,
    private readonly scratch: DuckDBWarehouse,
  ) {}

  /** The Parquet file `writeRows` wrote. */
  private written: string | undefined;
  private readonly typingNotes: string[] = [];

  /** What was read other than as written, for the report (complete once `writeRows` has run). */
  get notes(): readonly string[] {
    return [...this.readingNotes, ...this.typingNotes];
  }

  static async open(path: string, format?: BillFormat): Promise<BillFile> {
    const size = await stat(path).then(
      (s) => s.size,
      () => {
        throw new BillFileError(`${path}: no such file`);
      },
    );
    if (size === 0) throw new BillFileError(`${path}: the file is empty`);
    if (format && !BILL_FORMATS.includes(format)) throw new BillFileError(`unknown format "${format}"; use one of ${BILL_FORMATS.join(', ')}`);
    const scratch = await DuckDBWarehouse.open(':memory:', { allCores: true });
    try {
      await scratch.execute("SET TimeZone = 'UTC'");
      for (const macro of BILL_MACROS) await scratch.execute(macro);
      const parquet = extname(path).toLowerCase() === '.parquet' || (await isParquet(path));
      const lineNotes: string[] = [];
      const { names, lineOfRecord } = parquet ? await loadParquet(scratch, path) : await loadCsv(scratch, path, lineNotes);
      const columns = new RawColumns(names);
      const detected = format ?? detectFormat(columns);
      if (!detected) {
        throw new BillFileError(
          `${path}: cannot tell the format from the header (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}); ` +
            `pass --format ${BILL_FORMATS.join('|')}`,
        );
      }
      for (const alternatives of REQUIRED_SOURCE_COLUMNS[detected]) {
        if (!alternatives.some((name) => columns.has(name))) {
          throw new BillFileError(`${path}: a ${detected} file needs a ${alternatives.join(' or ')} column`);
        }
      }
      const mapping = focusMapping(detected, columns);
      const extra = columns.unused();
      const extraJson = extra.length
        ? `CAST(to_json(struct_pack(${extra.map((n) => `${quote(n)} := ${quote(n)}`).join(', ')})) AS VARCHAR)`
        : `'{}'`;
      // A view: the typing reads it once (and `tag_objects` its Tags alone); as a table it cost ~1 s a million rows to write.
      await scratch.execute(
        `CREATE VIEW mapped AS SELECT record, ${FOCUS_COLUMNS.map((c) => `CAST(${mapping.expressions[c.focus] ?? "NULL"} AS VARCHAR) AS ${quote(c.focus)}`).join(', ')},
          ${extraJson} AS extra FROM raw`,
      );
      await scratch.execute(`CREATE TABLE tag_objects AS ${tagObjectsSelect()}`);
      // Views: every row is typed once, as `writeRows` writes it, and read back from that file.
      await scratch.execute(`CREATE VIEW typed AS ${typedBillSelect()}`);
      await scratch.execute(
        lineOfRecord
          ? `CREATE VIEW numbered AS SELECT *, ${lineOfRecord} AS line FROM typed`
          : 'CREATE VIEW numbered AS SELECT * FROM typed JOIN lines USING (record)',
      );
      const [{ n }] = (await scratch.query<{ n: number }>('SELECT count(*) AS n FROM raw')) as [{ n: number }];
      const [{ rejected }] = (await scratch.query<{ rejected: number }>('SELECT count(*) AS rejected FROM rejects')) as [{ rejected: number }];
      return new BillFile(path, detected, [...mapping.notes, ...lineNotes], Number(n) + Number(rejected), scratch);
    } catch (error) {
      await scratch.close();
      if (error instanceof BillFileError) throw error;
      throw new BillFileError(`${path}: ${(error as Error).message}`);
    }
  }

  /**
   * Types every row once and writes them all, in file order, as one Parquet file at `path`: every bill_rows column
   * (with `tenant` and `batchId`), `loadable` (no value at fault), and what `parked` and the notes read back.
   * Answers how many rows are loadable.
   */
  async writeRows(path: string, tenant: string, batchId: string): Promise<number> {
    await this.scratch.execute(
      `COPY (SELECT ${literal(tenant)} AS tenant_id, ${literal(batchId)} AS batch_id, *, problem_column IS NULL AS loadable FROM numbered)
       TO ${literal(path)} (FORMAT parquet)`,
    );
    this.written = path;
    const rows = `read_parquet(${literal(path)})`;
    const untagged = await this.scratch.query<{ line: number; n: number }>(
      `SELECT line, count(*) OVER () AS n FROM ${rows} WHERE loadable AND tags_unreadable ORDER BY line LIMIT ${NOTED_LINES}`,
    );
    if (untagged.length) {
      const total = Number(untagged[0]!.n);
      this.typingNotes.push(
        `${total} row(s) with Tags that are not a JSON object (line ${untagged.map((r) => Number(r.line)).join(', ')}${total > NOTED_LINES ? ', …' : ''}): ` +
          'loaded without tags (unallocated unless another rule claims them), the text kept in extra.Tags',
      );
    }
    const [{ n }] = (await this.scratch.query<{ n: number }>(`SELECT count(*) AS n FROM ${rows} WHERE loadable`)) as [{ n: number }];
    return Number(n);
  }

  /** The loadable rows `writeRows` wrote, in file order, as a CSV file of bill_rows (`CSV_FILE` conventions) for `Warehouse.insertCsv`. */
  async writeLoadableCsv(path: string): Promise<void> {
    const value = ({ column, kind }: (typeof FOCUS_COLUMNS)[number]) =>
      kind === 'timestamp' ? `strftime(${column}, '${CSV_FILE.timestampFormat}') AS ${column}`
        : kind === 'decimal' ? `${decimalAsText(column)} AS ${column}`
          : column;
    await this.scratch.execute(
      `COPY (SELECT tenant_id, batch_id, line, ${FOCUS_COLUMNS.map(value).join(', ')}, extra
             FROM read_parquet(${literal(this.rowsWritten())}) WHERE loadable ORDER BY line)
       TO ${literal(path)} (FORMAT csv, HEADER, NULLSTR '${CSV_FILE.nullText}')`,
    );
  }

  /** Rows that could not be loaded (after `writeRows`): unreadable values, and records the CSV reader refused. */
  async parked(): Promise<ParkedBillRow[]> {
    const bad = await this.scratch.query<{ line: number; problem_column: string; problem_code: string; problem_reason: string; raw: string }>(
      `SELECT typed.line, typed.problem_column, typed.problem_code, typed.problem_reason, CAST(to_json(r) AS VARCHAR) AS raw
       FROM read_parquet(${literal(this.rowsWritten())}) AS typed JOIN raw AS r ON r.record = typed.record WHERE NOT typed.loadable ORDER BY typed.line`,
    );
    const refused = await this.scratch.query<{ line: number; column_name: string; reason: string; raw: string }>(
      'SELECT line, column_name, reason, raw FROM rejects ORDER BY line',
    );
    return [
      ...bad.map((r) => ({
        line: Number(r.line),
        column: r.problem_column,
        code: r.problem_code as ParkedBillRow['code'],
        reason: r.problem_reason,
        raw: withoutRecord(String(r.raw)),
      })),
      ...refused.map((r) => ({ line: Number(r.line), column: r.column_name, code: 'BILL_ROW_MALFORMED' as const, reason: r.reason, raw: r.raw })),
    ].sort((a, b) => a.line - b.line);
  }

  private rowsWritten(): string {
    if (!this.written) throw new Error('BillFile: writeRows first');
    return this.written;
  }

  close(): Promise<void> {
    return this.scratch.close();
  }
}

const NOTED_LINES = 10;

/** The raw row as JSON, without the reader's own record number. */
function withoutRecord(json: string): string {
  const fields = JSON.parse(json) as Record<string, unknown>;
  delete fields.record;
  return JSON.stringify(fields);
}

async function isParquet(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    return magic.toString('latin1') === 'PAR1';
  } finally {
    await handle.close();
  }
}

/** The columns of a file as read, and each record's line: an expression of `record`, or else the table `lines`. */
interface LoadedFile {
  names: string[];
  lineOfRecord?: string;
}

/** Loads `raw` (record + every column as text), `rejects` and, unless each line follows from its record, `lines`. */
async function loadCsv(scratch: DuckDBWarehouse, path: string, notes: string[]): Promise<LoadedFile> {
  const header = uniqueNames(await readCsvHeader(path));
  if (!header.length) throw new BillFileError(`${path}: the file has no header row`);
  const columns = `{${header.map((n) => `${literal(n)}: 'VARCHAR'`).join(', ')}}`;
  // DuckDB numbers a refused record by its own count of lines; the scan of the file gives each record's physical line.
  // It runs on the event loop while DuckDB reads the file on its own threads.
  const scanned = csvRecordStarts(path);
  scanned.catch(() => undefined);
  await scratch.execute(
    `CREATE TABLE raw_read AS SELECT * FROM read_csv(${literal(path)}, header = true, auto_detect = false, delim = ',', quote = '"',
       escape = '"', columns = ${columns}, store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`,
  );
  // A view: copying a million rows to number them cost ~0.9 s; the table's row ids are its records, in file order.
  await scratch.execute('CREATE VIEW raw AS SELECT rowid AS record, * FROM raw_read');
  // One reject row per problem; a record is parked once, under its first problem.
  await scratch.execute(
    `CREATE TABLE rejects AS SELECT line, arg_min(coalesce(column_name, ''), column_idx) AS column_name,
       arg_min(error_message, column_idx) AS reason, arg_min(trim(csv_line, chr(13) || chr(10)), column_idx) AS raw
     FROM csv_rejects GROUP BY line`,
  );
  const { count, starts } = await scanned;
  if (starts) {
    await scratch.execute('CREATE TABLE starts (ordinal BIGINT, line BIGINT, reader_line BIGINT)');
    await scratch.insert('starts', ['ordinal', 'line', 'reader_line'], starts.map((s, i) => [i, s.line, s.readerLine]));
  }
  const [{ kept, refused, last }] = (await scratch.query<{ kept: number; refused: number; last: number }>(
    'SELECT (SELECT count(*) FROM raw) AS kept, count(*) AS refused, coalesce(max(line), 0) AS last FROM rejects',
  )) as [{ kept: number; refused: number; last: number }];
  if (count === Number(kept) + Number(refused) && !starts) {
    // Nothing refused: record i is on line i + 2, with no table to join.
    if (Number(refused) === 0) return { names: header, lineOfRecord: 'record + 2' };
    // Record i on line i + 2 as the reader counts it: the records DuckDB kept are, in order, the lines it did not refuse.
    await scratch.execute(
      `CREATE TABLE lines AS SELECT row_number() OVER (ORDER BY line) - 1 AS record, line
       FROM range(2, ${count + 2}) AS t(line) WHERE line NOT IN (SELECT line FROM rejects)`,
    );
  } else if (count === Number(kept) + Number(refused)) {
    await scratch.execute('UPDATE rejects SET line = starts.line FROM starts WHERE rejects.line = starts.reader_line');
    // The records DuckDB kept are, in order, the records it did not refuse.
    await scratch.execute(
      `CREATE TABLE lines AS SELECT row_number() OVER (ORDER BY ordinal) - 1 AS record, line
       FROM starts WHERE line NOT IN (SELECT line FROM rejects)`,
    );
  } else {
    // A broken quote made DuckDB and the line scan see different records: number them as DuckDB counts them, losing none.
    await scratch.execute(
      `CREATE TABLE lines AS SELECT row_number() OVER (ORDER BY reader_line) - 1 AS record, reader_line AS line
       FROM range(2, ${Number(kept) + Number(refused) + Number(last) + 2}) AS t(reader_line)
       WHERE reader_line NOT IN (SELECT line FROM rejects) ORDER BY reader_line LIMIT ${Number(kept)}`,
    );
    notes.push('a broken quote makes record and line numbers differ: lines are given as record numbers (the header is 1)');
  }
  return { names: header };
}

async function loadParquet(scratch: DuckDBWarehouse, path: string): Promise<LoadedFile> {
  const described = await scratch.query<{ column_name: string; column_type: string }>(
    `DESCRIBE SELECT * FROM read_parquet(${literal(path)})`,
  );
  const nested = /^(STRUCT|MAP|LIST|JSON)|\[\]$/;
  const names = uniqueNames(described.map((d) => d.column_name));
  const select = described.map(({ column_name: name, column_type: type }, i) =>
    `CAST(${nested.test(type) ? `to_json(${quote(name)})` : quote(name)} AS VARCHAR) AS ${quote(names[i]!)}`,
  );
  await scratch.execute(
    `CREATE TABLE raw AS SELECT file_row_number AS record, ${select.join(', ')} FROM read_parquet(${literal(path)}, file_row_number = true)`,
  );
  await scratch.execute("CREATE TABLE rejects (line BIGINT, column_name VARCHAR, reason VARCHAR, raw VARCHAR)");
  // Parquet has no lines: a row is reported by its 1-based row number.
  return { names, lineOfRecord: 'record + 1' };
}

/**
 * Header names as DuckDB can hold them: blanks named by position, repeats numbered. `record` is the import's own
 * row number, so a file's column of that name is numbered as a repeat (`record_2`).
 */
function uniqueNames(header: string[]): string[] {
  const seen = new Map<string, number>([['record', 1]]);
  return header.map((raw, i) => {
    const name = raw.trim() || `column_${i + 1}`;
    const key = name.toLowerCase();
    const count = seen.get(key) ?? 0;
    seen.set(key, count + 1);
    return count ? `${name}_${count + 1}` : name;
  });
}
