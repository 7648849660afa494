import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { CSV_FILE, decimalAsText, DuckDBWarehouse, type ParquetRowNumbers } from '../../../kernel/warehouse/index.ts';
import { BILL_FORMATS, detectFormat, focusMapping, REQUIRED_SOURCE_COLUMNS, type BillFormat } from './bill-formats.ts';
import { BILL_MACROS, RAW_ROW, type RowOrder, TAG_LOOKUP, TAG_LOOKUP_LIMIT, tagObjectsSelect, typedBillSelect } from './bill-sql.ts';
import { csvRecordStarts, isGzip, readCsvHeader, type RecordStarts } from './csv-lines.ts';
import { BILL_ROW_COLUMNS, FOCUS_COLUMNS, type FocusKind } from './focus-columns.ts';
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
    /** Records DuckDB read from the file (the refused ones are in `recordCount` and `parked` only). */
    private readonly keptCount: number,
    readonly recordCount: number,
    private readonly numbering: RecordNumbering,
    private readonly order: RowOrder,
    /** bill_rows columns the file has no value for in any row: left out of the written rows (and so NULL when inserted). */
    private readonly absent: ReadonlySet<string>,
    /** The file as it was when opened: it is read twice. */
    private readonly version: FileVersion,
    private readonly scratch: DuckDBWarehouse,
    /** The header as the file writes it, and its names as the raw rows hold them (blanks named, repeats numbered). */
    private readonly header: { written: readonly string[]; names: readonly string[] },
  ) {}

  /** The bill_rows columns `loadableParquet`'s file holds: writing the columns no row has a value in cost more than the rest. */
  get columns(): readonly string[] {
    return BILL_ROW_COLUMNS.filter((c) => !this.absent.has(c));
  }

  /** The Parquet file `writeRows` wrote, and how many of its rows are not loadable. */
  private written: string | undefined;
  private unloadable = 0;
  private readonly typingNotes: string[] = [];

  /** What was read other than as written, for the report (complete once `writeRows` has run). */
  get notes(): readonly string[] {
    return [...this.readingNotes, ...this.typingNotes];
  }

  static async open(path: string, format?: BillFormat): Promise<BillFile> {
    const version = await fileVersion(path).catch(() => {
      throw new BillFileError(`${path}: no such file`);
    });
    if (version.size === 0) throw new BillFileError(`${path}: the file is empty`);
    if (format && !BILL_FORMATS.includes(format)) throw new BillFileError(`unknown format "${format}"; use one of ${BILL_FORMATS.join(', ')}`);
    const scratch = await DuckDBWarehouse.open(':memory:', { allCores: true });
    try {
      await scratch.execute("SET TimeZone = 'UTC'");
      for (const macro of BILL_MACROS) await scratch.execute(macro);
      const parquet = extname(path).toLowerCase() === '.parquet' || (await isParquet(path));
      const source = parquet ? await describeParquet(scratch, path) : await describeCsv(scratch, path, await isGzip(path));
      const names = source.names;
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
      const mappedFrom = (relation: string, record?: string) =>
        `SELECT ${record ? `${record} AS record, ` : ''}${FOCUS_COLUMNS.map((c) => `CAST(${mapping.expressions[c.focus] ?? 'NULL'} AS VARCHAR) AS ${quote(c.focus)}`).join(', ')},
          ${extraJson} AS extra, struct_pack(${names.map((n) => `${quote(n)} := ${quote(n)}`).join(', ')}) AS ${RAW_ROW} FROM ${relation}`;
      await scratch.execute(`CREATE VIEW mapped AS ${mappedFrom('raw')}`);
      // The one counting scan: the records DuckDB keeps, and (tag_objects) each distinct Tags text taken apart once.
      // It reads every column (`count` of the row as read): DuckDB checks UTF-8 only in the columns it reads, and a
      // record refused here must be refused by the second read too.
      await scratch.execute(`CREATE TABLE tag_texts AS SELECT ${quote('Tags')} AS tags_text, count(${RAW_ROW}) AS records FROM mapped GROUP BY ALL`);
      const [{ kept, texts }] = (await scratch.query<{ kept: number; texts: number }>(
        'SELECT coalesce(sum(records), 0) AS kept, count(tags_text) AS texts FROM tag_texts',
      )) as [{ kept: number; texts: number }];
      const lineNotes: string[] = [];
      const numbering = await source.numbering(Number(kept), lineNotes);
      await scratch.execute(`CREATE TABLE tag_objects AS ${tagObjectsSelect()}`);
      // Rows in file order, numbered by position, when the Tags lookup is cheap; otherwise an ordered copy of the file
      // numbers them (keeping a million records in a table in file order cost ~1.2 s more than reading them).
      const order: RowOrder = Number(texts) <= TAG_LOOKUP_LIMIT ? 'position' : 'record';
      if (order === 'position') {
        // `SET VARIABLE` holds for its connection only: `typed` is read through `execute`, on the same (writer) connection.
        for (const statement of TAG_LOOKUP) await scratch.execute(statement);
      } else {
        await scratch.execute('CREATE TABLE raw_copy AS SELECT * FROM raw');
        await scratch.execute(`CREATE OR REPLACE VIEW mapped AS ${mappedFrom('raw_copy', 'rowid')}`);
      }
      // A view: every row is typed once, as `writeRows` writes it.
      await scratch.execute(`CREATE VIEW typed AS ${typedBillSelect(order)}`);
      const [{ rejected }] = (await scratch.query<{ rejected: number }>('SELECT count(*) AS rejected FROM rejects')) as [{ rejected: number }];
      const absent = new Set(FOCUS_COLUMNS.filter((c) => ALWAYS_NULL_WITHOUT_SOURCE.has(c.kind) && c.focus !== 'BillingPeriodStart' && (mapping.expressions[c.focus] ?? 'NULL') === 'NULL').map((c) => c.column));
      return new BillFile(path, detected, [...mapping.notes, ...lineNotes], Number(kept), Number(kept) + Number(rejected), numbering, order, absent, version, scratch, { written: source.header, names });
    } catch (error) {
      await scratch.close();
      if (error instanceof BillFileError) throw error;
      throw new BillFileError(`${path}: ${readerProblem(error as Error)}`, { cause: error });
    }
  }

  /**
   * Types every row once and writes them all, in file order, as one Parquet file at `path`: the bill_rows columns the
   * file has values for (with `tenant` and `batchId`), `loadable` (no value at fault) and, for a row that cannot be
   * loaded, its problem. A row's line follows from its position in the written file (`position` order) or is written
   * with it (`record` order). Answers how many rows are loadable.
   */
  async writeRows(path: string, tenant: string, batchId: string): Promise<number> {
    // In `record` order the rows carry their record, and their line is written with them.
    const lined = this.order === 'position' ? 'typed'
      : this.numbering.first === undefined ? '(SELECT typed.*, lines.line FROM typed JOIN lines USING (record))'
        : `(SELECT *, record + ${this.numbering.first} AS line FROM typed)`;
    await this.scratch.execute(
      `COPY (SELECT ${literal(tenant)} AS tenant_id, ${literal(batchId)} AS batch_id, * EXCLUDE (${[RAW_ROW, ...this.absent].join(', ')}), problem_column IS NULL AS loadable
             FROM ${lined} AS rows)
       TO ${literal(path)} (FORMAT parquet)`,
    ).catch(async (error: unknown) => {
      // A Tags text the first read did not see fails the lookup's cast.
      throw (await this.changed()) ? this.changedError({ cause: error }) : error;
    });
    this.written = path;
    // `record`: the row's position among the records DuckDB kept, in file order.
    const numbered = this.order === 'record' ? `SELECT * FROM read_parquet(${literal(path)})`
      : this.numbering.first === undefined
        ? `SELECT w.* EXCLUDE (file_row_number), w.file_row_number AS record, lines.line
           FROM read_parquet(${literal(path)}, file_row_number = true) AS w JOIN lines ON lines.record = w.file_row_number`
        : `SELECT * EXCLUDE (file_row_number), file_row_number AS record, file_row_number + ${this.numbering.first} AS line
           FROM read_parquet(${literal(path)}, file_row_number = true)`;
    await this.scratch.execute(`CREATE OR REPLACE VIEW rows_written AS ${numbered}`);
    const [{ rows, loadable }] = (await this.scratch.query<{ rows: number; loadable: number }>(
      'SELECT count(*) AS rows, count(*) FILTER (WHERE loadable) AS loadable FROM rows_written',
    )) as [{ rows: number; loadable: number }];
    // The file is read twice: a file changed between the reads would number its rows wrongly.
    if (Number(rows) !== this.keptCount || (await this.changed())) throw this.changedError();
    const untagged = await this.scratch.query<{ line: number; n: number }>(
      `SELECT line, count(*) OVER () AS n FROM rows_written WHERE loadable AND tags_unreadable ORDER BY line LIMIT ${NOTED_LINES}`,
    );
    if (untagged.length) {
      const total = Number(untagged[0]!.n);
      this.typingNotes.push(
        `${total} row(s) with Tags that are not a JSON object (line ${untagged.map((r) => Number(r.line)).join(', ')}${total > NOTED_LINES ? ', …' : ''}): ` +
          'loaded without tags (unallocated unless another rule claims them), the text kept in extra.Tags',
      );
    }
    this.unloadable = Number(rows) - Number(loadable);
    await this.collectParked();
    return Number(loadable);
  }

  /**
   * The rows that cannot be loaded, in line order, into `parked_rows` (`parkedPages` reads them): unreadable values,
   * and records the CSV reader refused. The raw text of a row at fault is read again, by its position in the file,
   * only when there is one: carrying every row's text through the typing cost ~0.3 s a million rows.
   */
  private async collectParked(): Promise<void> {
    const bad = this.unloadable === 0 ? '' : `SELECT bad.line, bad.problem_column AS column_name, bad.problem_code AS code, bad.problem_reason AS reason,
         CAST(to_json(source.${RAW_ROW}) AS VARCHAR) AS raw
       FROM (SELECT record, line, problem_column, problem_code, problem_reason FROM rows_written WHERE NOT loadable) AS bad
       JOIN (SELECT ${this.order === 'record' ? 'record' : 'row_number() OVER () - 1 AS record'}, ${RAW_ROW} FROM mapped) AS source USING (record)
       UNION ALL `;
    await this.scratch.execute(
      `CREATE OR REPLACE TABLE parked_rows AS SELECT row_number() OVER (ORDER BY line) - 1 AS n, line, column_name, code, reason, raw
       FROM (${bad}SELECT line, column_name, 'BILL_ROW_MALFORMED' AS code, reason, raw FROM rejects) AS parked`,
    );
    const line = await this.repeatedHeader();
    if (line !== undefined) {
      throw new BillFileError(`${this.path}: line ${line} is the header again with its columns in another order (files joined?): the rows after it would be read under the wrong columns; import each file on its own`);
    }
  }

  /**
   * The first parked row that is the header again (exports joined) with its columns in another order: the rows after
   * it would be read under the wrong names (in the same order it is only a row that does not read). Compared as a
   * header is written again: a byte-order mark before it, spaces around the names. Only rows whose first value is a
   * column name are taken apart.
   */
  private async repeatedHeader(): Promise<number | undefined> {
    const clean = (text: string) => text.replaceAll('\uFEFF', '').trim();
    const cleanSql = (text: string) => `trim(replace(${text}, chr(65279), ''))`;
    const written = `[${this.header.written.map((name) => literal(clean(name))).join(', ')}]`;
    const first = literal(`/${this.header.names[0]!.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    const values = `list_transform(json_extract_string(raw, '$.*'), v -> ${cleanSql('v')})`;
    const [found] = await this.scratch.query<{ line: number | null }>(
      `SELECT min(line) AS line FROM (
         SELECT line, raw FROM parked_rows
         WHERE CASE WHEN code = 'BILL_ROW_MALFORMED' THEN false ELSE list_contains(${written}, ${cleanSql(`json_extract_string(raw, ${first})`)}) END
       ) AS candidates
       WHERE ${values} != ${written} AND list_sort(${values}) = list_sort(${written})`,
    );
    return found?.line === null || found?.line === undefined ? undefined : Number(found.line);
  }

  /**
   * The loadable rows as a Parquet file for `Warehouse.insertParquet` (after `writeRows`): the file written — holding
   * `line` (rows in `record` order), or whose `line` is each row's position in it counted from `first` — or, when
   * refused or multi-line records break that, a copy written to `path` with the lines.
   */
  async loadableParquet(path: string): Promise<{ path: string; keep: string; numberRows?: ParquetRowNumbers }> {
    const written = this.rowsWritten();
    if (this.order === 'record') return { path: written, keep: 'loadable' };
    if (this.numbering.first !== undefined) return { path: written, keep: 'loadable', numberRows: { column: 'line', first: this.numbering.first } };
    await this.scratch.execute(`COPY (SELECT * FROM rows_written WHERE loadable) TO ${literal(path)} (FORMAT parquet)`);
    return { path, keep: 'loadable' };
  }

  /** The loadable rows `writeRows` wrote, in file order, as a CSV file of bill_rows (`CSV_FILE` conventions) for `Warehouse.insertCsv`. */
  async writeLoadableCsv(path: string): Promise<void> {
    this.rowsWritten();
    const value = ({ column, kind }: (typeof FOCUS_COLUMNS)[number]) =>
      this.absent.has(column) ? `NULL AS ${column}`
        : kind === 'timestamp' ? `strftime(${column}, '${CSV_FILE.timestampFormat}') AS ${column}`
        : kind === 'decimal' ? `${decimalAsText(column)} AS ${column}`
          : column;
    await this.scratch.execute(
      `COPY (SELECT tenant_id, batch_id, line, ${FOCUS_COLUMNS.map(value).join(', ')}, extra
             FROM rows_written WHERE loadable ORDER BY line)
       TO ${literal(path)} (FORMAT csv, HEADER, NULLSTR '${CSV_FILE.nullText}')`,
    );
  }

  /**
   * Rows that could not be loaded (after `writeRows`), in line order, `size` at a time. They wait in the scratch
   * database, not in memory: a file of 2 GB whose every row is parked (a date format of another locale) is as many
   * rows as it has lines.
   */
  async *parkedPages(size = PARKED_PAGE_ROWS): AsyncGenerator<ParkedBillRow[]> {
    this.rowsWritten();
    for (let from = 0; ; from += size) {
      const page = await this.scratch.query<{ line: number; column_name: string; code: string; reason: string; raw: string }>(
        `SELECT line, column_name, code, reason, raw FROM parked_rows WHERE n >= ${from} AND n < ${from + size} ORDER BY n`,
      );
      if (page.length === 0) return;
      yield page.map((r) => ({ line: Number(r.line), column: r.column_name, code: r.code as ParkedBillRow['code'], reason: r.reason, raw: String(r.raw) }));
    }
  }


  private async changed(): Promise<boolean> {
    const now = await fileVersion(this.path).catch(() => undefined);
    return now?.size !== this.version.size || now.modifiedMs !== this.version.modifiedMs;
  }

  private changedError(options?: ErrorOptions): BillFileError {
    return new BillFileError(`${this.path}: the file changed while it was read; import it again once it is complete`, options);
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

/** Kinds of FOCUS column whose typed value is NULL when the file has no source for it (tags become `{}`, a category is required). */
const ALWAYS_NULL_WITHOUT_SOURCE = new Set<FocusKind>(['decimal', 'timestamp', 'code', 'text']);

interface FileVersion {
  size: number;
  modifiedMs: number;
}

async function fileVersion(path: string): Promise<FileVersion> {
  const { size, mtimeMs } = await stat(path);
  return { size, modifiedMs: mtimeMs };
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

/** How a written row's line follows from its position p (0-based) in the file `writeRows` wrote: `first` + p, or else the table `lines`. */
interface RecordNumbering {
  first?: number;
}

/** Parquet has no lines: a row is reported by its 1-based row number. */
const PARQUET_ROWS: RecordNumbering = { first: 1 };

/**
 * What DuckDB's reader says of a file it cannot read, in the user's terms where its message is its own internals: it
 * reads one kind of line end a file, and takes a carriage return it did not expect for a broken state.
 */
function readerProblem(error: Error): string {
  if (error.message.includes('CSV Parser state machine reached an invalid state')) {
    return 'the file mixes line ends (a line ending in CR alone, or in CRLF where the others end in LF) or an unquoted field holds a carriage return: save it with one kind of line end throughout (LF or CRLF), carriage returns in fields quoted';
  }
  return error.message;
}

/** Parked rows read and written at a time (`parkedPages`). */
const PARKED_PAGE_ROWS = 10_000;

/** A file as the view `raw` (every column as text) with its column names, and how its records are numbered once it was read. */
interface BillSource {
  names: string[];
  /** The header as written (`names` before blanks are named and repeats numbered). */
  header: string[];
  /** After the view was scanned once: fills `rejects` (and `lines` if needed) and says how rows are numbered. */
  numbering(kept: number, notes: string[]): Promise<RecordNumbering>;
}

/** The view `raw` over a CSV file, gzip-compressed or not (AWS delivers CUR as `.csv.gz`); refused records are kept in `csv_rejects` by each scan. */
async function describeCsv(scratch: DuckDBWarehouse, path: string, gzip: boolean): Promise<BillSource> {
  const header = await readCsvHeader(path, { gzip });
  const names = uniqueNames(header);
  if (!names.length) throw new BillFileError(`${path}: the file has no header row`);
  const columns = `{${names.map((n) => `${literal(n)}: 'VARCHAR'`).join(', ')}}`;
  // DuckDB numbers a refused record by its own count of lines; the scan of the file gives each record's physical line.
  // It runs on the event loop while DuckDB reads the file on its own threads.
  const scanned = csvRecordStarts(path, { gzip });
  scanned.catch(() => undefined);
  await scratch.execute(
    `CREATE VIEW raw AS SELECT * FROM read_csv(${literal(path)}, header = true, auto_detect = false, delim = ',', quote = '"',
       escape = '"', compression = '${gzip ? 'gzip' : 'none'}', columns = ${columns}, store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`,
  );
  return { names, header, numbering: (kept, notes) => numberCsvRecords(scratch, scanned, kept, notes) };
}

/** Fills `rejects` from the first scan's `csv_rejects` and, unless record i is on line i + 2, `lines`. */
async function numberCsvRecords(scratch: DuckDBWarehouse, scanned: Promise<RecordStarts>, kept: number, notes: string[]): Promise<RecordNumbering> {
  // One reject row per problem; a record is parked once, under its first problem.
  await scratch.execute(
    // A record refused whole (longer than the reader's 2 MB a line) has no column: its problem comes first.
    `CREATE TABLE rejects AS SELECT line, arg_min(coalesce(column_name, ''), coalesce(column_idx, -1)) AS column_name,
       coalesce(arg_min(error_message, coalesce(column_idx, -1)), 'the record could not be read') AS reason,
       coalesce(arg_min(trim(csv_line, chr(13) || chr(10)), coalesce(column_idx, -1)), '') AS raw
     FROM csv_rejects GROUP BY line`,
  );
  const { count, starts } = await scanned;
  if (starts) {
    await scratch.execute('CREATE TABLE starts (ordinal BIGINT, line BIGINT, reader_line BIGINT)');
    await scratch.insert('starts', ['ordinal', 'line', 'reader_line'], starts.map((s, i) => [i, s.line, s.readerLine]));
  }
  const [{ refused, last }] = (await scratch.query<{ refused: number; last: number }>(
    'SELECT count(*) AS refused, coalesce(max(line), 0) AS last FROM rejects',
  )) as [{ refused: number; last: number }];
  if (count === kept + Number(refused) && !starts) {
    // Nothing refused: record i is on line i + 2, with no table to join.
    if (Number(refused) === 0) return { first: 2 };
    // Record i on line i + 2 as the reader counts it: the records DuckDB kept are, in order, the lines it did not refuse.
    await scratch.execute(
      `CREATE TABLE lines AS SELECT row_number() OVER (ORDER BY line) - 1 AS record, line
       FROM range(2, ${count + 2}) AS t(line) WHERE line NOT IN (SELECT line FROM rejects)`,
    );
  } else if (count === kept + Number(refused)) {
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
       FROM range(2, ${kept + Number(refused) + Number(last) + 2}) AS t(reader_line)
       WHERE reader_line NOT IN (SELECT line FROM rejects) ORDER BY reader_line LIMIT ${kept}`,
    );
    notes.push('a broken quote makes record and line numbers differ: lines are given as record numbers (the header is 1)');
  }
  return {};
}

/** The view `raw` over a Parquet file, nested values as JSON text. */
async function describeParquet(scratch: DuckDBWarehouse, path: string): Promise<BillSource> {
  const described = await scratch.query<{ column_name: string; column_type: string }>(
    `DESCRIBE SELECT * FROM read_parquet(${literal(path)})`,
  );
  const nested = /^(STRUCT|MAP|LIST|JSON)|\[\]$/;
  const names = uniqueNames(described.map((d) => d.column_name));
  const select = described.map(({ column_name: name, column_type: type }, i) =>
    `CAST(${nested.test(type) ? `to_json(${quote(name)})` : quote(name)} AS VARCHAR) AS ${quote(names[i]!)}`,
  );
  await scratch.execute(`CREATE VIEW raw AS SELECT ${select.join(', ')} FROM read_parquet(${literal(path)})`);
  return {
    names,
    header: described.map((d) => d.column_name),
    numbering: async () => {
      await scratch.execute('CREATE TABLE rejects (line BIGINT, column_name VARCHAR, reason VARCHAR, raw VARCHAR)');
      return PARQUET_ROWS;
    },
  };
}

/**
 * Header names as DuckDB can hold them: blanks named by position, repeats numbered. `rowid` names DuckDB's row number
 * (the record number of a copied file), so a file's column of that name is numbered as a repeat (`rowid_2`).
 */
function uniqueNames(header: string[]): string[] {
  const seen = new Map<string, number>([['rowid', 1]]);
  return header.map((raw, i) => {
    const name = raw.trim() || `column_${i + 1}`;
    const key = name.toLowerCase();
    const count = seen.get(key) ?? 0;
    seen.set(key, count + 1);
    return count ? `${name}_${count + 1}` : name;
  });
}
