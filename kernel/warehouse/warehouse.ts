/** A value that can be bound into SQL or written to a column. */
export type SqlValue = string | number | bigint | boolean | Date | null;

/**
 * A row read back from the warehouse. Engines agree on the JS shape:
 * timestamps are `Date`, integers that fit a double are `number`, decimals and
 * larger integers are `string` (money never becomes a binary float), JSON
 * columns are their text.
 */
export type Row = Record<string, SqlValue>;

export type EngineName = 'duckdb' | 'clickhouse';

/** The few places engines differ in SQL, as small macros callers use in their queries. */
export interface Dialect {
  /**
   * The table as a deduplicated read: where duplicates can exist in storage
   * until the engine merges them (ClickHouse's ReplacingMergeTree), the form
   * that hides them (`events FINAL`); elsewhere the table itself.
   */
  deduplicated(table: string): string;
  /**
   * A FROM item reading `table` deduplicated under `alias`, followed by the keyword that starts a filter on its
   * sort-key columns only: on ClickHouse `t AS alias FINAL PREWHERE` (the filter drops whole rows before
   * FINAL's merge reads the other columns, exact because every version of a row shares its sort key), elsewhere
   * `t AS alias WHERE`.
   */
  deduplicatedWhereSortKey(table: string, alias: string): string;
  /**
   * True where a raw table holds each row once as soon as it is written (DuckDB: the dedupe runs inside the
   * write), so what arrived can be added to what was built from the rows before; false where a row can be
   * stored twice until the engine merges it (ClickHouse), so a build recomputes what the arrivals touch.
   */
  readonly uniqueRows: boolean;
  /** True where a backslash escapes the next character in a string literal (ClickHouse: `'it\\'s'`); a doubled quote escapes a quote on every engine. */
  readonly backslashEscapes: boolean;
  /**
   * The greatest value of a timestamp column, as an aggregate; the Unix epoch over no rows (DuckDB's `max` of
   * nothing is NULL, and `x > NULL` holds for no row: an incremental build after an empty first one would never
   * see an event).
   */
  watermark(column: string): string;
  /**
   * Where a model that gives the same result when it reads a row twice (it recomputes what a row touches, or folds
   * with max) reads on from, so that rows stored after rows stamped later than them are read too: `watermark` where
   * the stamp follows commit order (`UniqueInsert.stampColumn`: DuckDB); elsewhere (ClickHouse, several writers, the
   * receipt to the second) that less `LATE_STAMP_SECONDS`.
   */
  rereadWatermark(column: string): string;
  /** `watermark` less `seconds`, as an aggregate, never below the epoch. */
  watermarkBefore(column: string, seconds: number): string;
  /** The earliest or the latest time a timestamp column can hold, as a literal a sort-key range can be pruned by. */
  timeLimit(which: 'earliest' | 'latest'): string;
  /**
   * How a model's SQL names a relation of the warehouse: the name itself, or on a ClickHouse cluster
   * the name qualified by the database (DDL run `ON CLUSTER` resolves names in each server's default database).
   */
  relation(name: string): string;
  /** A top-level string field of a JSON text column, '' when absent. `key` is a plain name. */
  jsonString(column: string, key: string): string;
  /** A top-level numeric field of a JSON text column as a double: 0 when absent or not a number, never an error. */
  jsonNumber(column: string, key: string): string;
  /** Whether a top-level field of a JSON text column is a JSON number (a string that spells one is not). */
  jsonIsNumber(column: string, key: string): string;
  /**
   * A top-level field of a JSON text column as DECIMAL(38, 10), read from a JSON
   * string or number; NULL when absent or not a plain decimal of at most 18 integer
   * digits (`JSON_DECIMAL`), so money never passes through a float and sums of it fit.
   */
  jsonDecimal(column: string, key: string): string;
  /**
   * A text column as a seed column of `kind`: '' becomes NULL, integers
   * BIGINT, decimals DECIMAL(38, 10) (values are checked to fit before).
   */
  castText(column: string, kind: SeedColumnKind): string;
  /** A text value as a string literal of the engine's SQL (a small seed's rows written into its model's SELECT). */
  textLiteral(text: string): string;
  /** The start of the hour, day or month a timestamp falls in, as a timestamp. */
  timeWindow(unit: TimeUnit, column: string): string;
  /** The `q` quantile (0–1, interpolated) of a numeric column, as an aggregate. */
  quantile(column: string, q: number): string;
  /** The start of the five minutes (from the hour) a timestamp falls in: the shortest SLO burn-rate window. */
  fiveMinuteWindow(column: string): string;
  /** Whole seconds from a timestamp column (UTC) to now: the age of what it records, as a page renders it. */
  secondsSince(column: string): string;
  /** The text of a column's first capture group of an RE2 `pattern` (the whole match without one); '' when NULL or no match. */
  regexpExtract(column: string, pattern: string): string;
  /** Whether a text column matches an RE2 `pattern` anywhere (false when NULL). */
  regexpMatches(column: string, pattern: string): string;
  /** Whether a text column holds the text bound to the one `?` it leaves (false when NULL). */
  containsText(column: string): string;
  /**
   * `amount × weight ÷ total` as DECIMAL(38, 10), truncated, computed in integers, never through a float. All
   * three are DECIMAL(38, 10) columns. Exact while `total` is under 10⁸ (`PRORATE_WEIGHT_UNITS` in units of
   * 10⁻¹⁰); beyond, weight and total are first divided by the power of ten that brings the total under it, so
   * that large weights (a bytes meter's) keep within 38 digits, and a share is then within a unit of its tenth
   * decimal of the exact one. Amounts up to 10¹⁰ and weights up to 10¹⁸ a row.
   */
  prorate(amount: string, weight: string, total: string): string;
  /** A numeric column as DECIMAL(38, 10). */
  toDecimal(column: string): string;
  /**
   * An aggregate over the rows of the FROM item `alias` (a subquery's alias), as text: equal for the same rows in any
   * order, different (but for a 64-bit hash collision) when a row is added, removed or changed. What a build compares
   * to find a rebuilt table that came out as it was (platform/transforms/model-stamps.ts).
   */
  contentFingerprint(alias: string): string;
}

export type TimeUnit = 'hour' | 'day' | 'month';
export type SeedColumnKind = 'integer' | 'decimal' | 'text';
export const TIME_UNITS: readonly TimeUnit[] = ['hour', 'day', 'month'];

/** Where `prorate` reduces its weights: a total above this many units of 10⁻¹⁰ (10⁸) is divided down to it. */
export const PRORATE_WEIGHT_UNITS = '1000000000000000000';

/** A plain decimal as a seed file may hold one: up to 28 integer and 10 fractional digits, as DECIMAL(38, 10) holds. */
export const PLAIN_DECIMAL = '-?[0-9]{1,28}([.][0-9]{1,10})?';

/**
 * What `jsonDecimal` reads from an event: up to 18 integer and 10 fractional digits. Models add these up (a SUM
 * meter's window, a cost split's weights): 10^10 of the largest still fit DECIMAL(38, 10), where two values of 28
 * digits overflowed it (DuckDB failed the model for every tenant; ClickHouse's sum wraps). A larger value is NULL.
 */
export const JSON_DECIMAL = '-?[0-9]{1,18}([.][0-9]{1,10})?';

export type RelationKind = 'view' | 'table';

/**
 * The CSV `insertCsv` reads: RFC 4180 (comma, `"` quoting with `""`), a header
 * row, NULL written as `\N`, timestamps as `YYYY-MM-DD hh:mm:ss` (UTC), decimals plain.
 */
export const CSV_FILE = { nullText: '\\N', timestampFormat: '%Y-%m-%d %H:%M:%S' } as const;

/** Inserts rows that are not already present under a dedupe key. */
export interface UniqueInsert {
  table: string;
  columns: readonly string[];
  /** Columns whose values together identify a row (e.g. tenant_id, source, id). */
  key: readonly string[];
  /** Timestamp column the dedupe window is measured on. */
  windowColumn: string;
  /** Keys seen within this many days are guaranteed to be recognised. */
  windowDays: number;
  /**
   * A timestamp column kept strictly increasing in commit order (events' `ingested_at`), where the engine has one
   * writer (DuckDB): a row whose value is not after the last one committed is written 1 ms after it. A reader that
   * has seen every row up to some value (an incremental build's watermark) then never misses a row committed
   * later, however early it was received.
   */
  stampColumn?: string;
}

/** What `reclaim` did: the tables rewritten, and the free space overwritten. */
export interface ReclaimReport {
  /** The engine that holds the tables: a warehouse's, or the state store's (`postgresql` in the scale-out profile). */
  engine: EngineName | 'postgresql';
  tables: string[];
  rowsRewritten: number;
  /** Free blocks of the file overwritten (DuckDB). */
  blocksScrubbed: number;
  seconds: number;
  /** Of which overwriting free blocks. */
  scrubSeconds: number;
  /** ClickHouse: frozen copies (`FREEZE`) of the tables removed from the server's `shadow/` folder, or why they could not be looked for. */
  frozenCopies?: { removed: number } | { unchecked: string };
}

export interface UniqueInsertResult {
  inserted: number;
  /** One flag per input row: true when the row was a duplicate and was not written. */
  duplicate: boolean[];
  /** Where `stampColumn` was kept in commit order: a row whose value was before this was written with this instead. */
  stampFloor?: Date;
}

/**
 * What an engine can do, named (Kysely's `DialectAdapter` habit): callers branch
 * on a capability, never on the engine's name.
 */
export interface WarehouseCapabilities {
  /**
   * `transaction(fn)` commits everything `fn` writes together or nothing (DuckDB).
   * Without it (ClickHouse) `transaction` refuses, and writers order their
   * statements so that a crash between two leaves nothing visible half-done.
   */
  readonly transactions: boolean;
  /**
   * Storage may hold a row twice until the engine merges it away (ClickHouse's
   * ReplacingMergeTree): a read that must not see a duplicate goes through
   * `dialect.deduplicated` (`FINAL`). False where a write never leaves one (DuckDB).
   */
  readonly duplicatesUntilMerged: boolean;
  /**
   * `UPDATE` and `DELETE` change rows in place before they return (DuckDB). False
   * where they are asynchronous mutations of whole parts (ClickHouse `ALTER … DELETE`):
   * erase by writing a replacement row or a new table instead.
   */
  readonly synchronousMutations: boolean;
  /**
   * Many processes may write at once (a ClickHouse server). False for an
   * embedded file with one writer (DuckDB): other processes go through the
   * process that holds it (the running platform's API).
   */
  readonly concurrentWriters: boolean;
  /**
   * How long a writer that batches rows off the request path (the decision log) gathers them
   * before its one insert. ClickHouse makes a part of every insert and merges each into the
   * table's larger parts, rewriting them: it wants about one insert a second per table. DuckDB
   * appends a batch to the table's open row group, so a short wait loses less on a kill.
   */
  readonly batchWindowMs: number;
}

/** Reads on one connection (`Warehouse.readSession`). */
export interface ReadSession {
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Keeps the rows of `select` as a relation only this session sees, dropped when it ends; the relation's name. */
  keep(select: string, params?: readonly SqlValue[]): Promise<string>;
}

/** A column filled with each row's position in its Parquet file: `first` for the file's first row, then one more a row. */
export interface ParquetRowNumbers {
  column: string;
  first: number;
}

/**
 * The warehouse port. Every engine adapter implements it; callers never ask
 * which engine they hold. SQL uses `?` placeholders for values.
 */
export interface Warehouse {
  readonly engine: EngineName;
  readonly capabilities: WarehouseCapabilities;
  readonly dialect: Dialect;
  /** Where the data lives, for messages (a file path or a URL). */
  readonly location: string;
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  execute(sql: string, params?: readonly SqlValue[]): Promise<void>;
  /**
   * Deletes a table's rows where `condition` holds (`?` placeholders), done when it returns:
   * ClickHouse's asynchronous mutation (`ALTER … DELETE`) is waited for.
   */
  deleteWhere(table: string, condition: string, params?: readonly SqlValue[]): Promise<void>;
  /** Bulk insert; rows are arrays in `columns` order. Returns the number written. */
  insert(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<number>;
  /**
   * Bulk insert of a CSV file written the way `CSV_FILE` describes, its header
   * naming `columns`: the engine reads the file itself, no row passes through JS.
   * Unlike `insert`, nothing checks the rows first: the writer must leave no NULL
   * in a column that cannot hold one (ClickHouse 18 would store the type's default).
   */
  insertCsv(table: string, columns: readonly string[], path: string): Promise<void>;
  /**
   * Bulk insert of Parquet files (one statement, every file or none) holding at least `columns`, typed as the
   * table's (or castable to them), where the engine reads Parquet (DuckDB, and a change-logging warehouse around it;
   * ClickHouse 18 does not). Rows go in no particular order. Values travel in binary: no timestamp or wide decimal is printed and
   * parsed again. `keep`: a BOOLEAN column of the files; only rows where it is true are inserted. `numberRows`: one
   * of `columns` the files do not hold, given each row's position in its file (counted from `first`).
   */
  insertParquet?(table: string, columns: readonly string[], paths: readonly string[], options?: { keep?: string; numberRows?: ParquetRowNumbers }): Promise<void>;
  /**
   * Bulk insert that skips rows whose key was already written (within the
   * window) or appears earlier in the same call. Safe across restarts.
   * `digests`: each row's `dedupeDigest` of its `spec.key` values, when the caller
   * computed them already (on another thread); otherwise they are computed here.
   */
  insertUnique(spec: UniqueInsert, rows: readonly (readonly SqlValue[])[], digests?: readonly Uint8Array[]): Promise<UniqueInsertResult>;
  /**
   * Makes `name` a view of `select`, or a table of its rows, replacing whatever
   * `name` was. A table given a `uniqueKey` is one `mergeInto` can merge into.
   */
  materialize(name: string, kind: RelationKind, select: string, uniqueKey?: readonly string[]): Promise<void>;
  /**
   * Waits until DDL that other clients queued and did not wait for has run on every server (a cluster's `ON CLUSTER`
   * statements of a build killed mid-way): a build calls it before it reads the catalog. Bounded, never failing: a
   * server that does not answer leaves what it would settle to the statements after. Where DDL runs when sent, absent.
   */
  settleDdl?(): Promise<void>;
  /**
   * For each of `tables`, a text that changes whenever rows may have been written to or deleted from it (and, rarely,
   * when none were: a merge that dropped duplicates). Cheap: read from the engine's catalog, not the rows. Where the
   * engine offers no such evidence (DuckDB), absent: a build then rebuilds whatever reads a raw table.
   */
  changeTokens?(tables: readonly string[]): Promise<Map<string, string>>;
  /**
   * Adds the rows of `select` to table `name`: appended, or — with a `uniqueKey` —
   * replacing rows with the same key (reads through `dialect.deduplicated` on
   * engines that merge later).
   */
  mergeInto(name: string, select: string, uniqueKey: readonly string[]): Promise<void>;
  /**
   * Runs `work` on a connection of its own, where `keep` holds the rows a query reads for the reads after it:
   * where the engine has temporary tables that only their connection sees (DuckDB). A report page whose
   * queries read one query's rows reads the events once this way instead of once a query.
   */
  readSession?<T>(work: (session: ReadSession) => Promise<T>): Promise<T>;
  hasRelation(name: string): Promise<boolean>;
  /** The columns of a table or view, in order, with the engine's type names; empty when there is no such relation. */
  columns(name: string): Promise<{ name: string; type: string }[]>;
  /** `columns` of several relations in one catalog read: each name that is there, with its columns in order. */
  columnsOf(names: readonly string[]): Promise<Map<string, { name: string; type: string }[]>>;
  /**
   * Runs `fn` atomically: everything it does commits together or not at all.
   * Only where `capabilities.transactions`; elsewhere it refuses with a WarehouseError.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Removes from storage what was deleted from `tables` (an erasure): engines keep deleted
   * values on disk until they rewrite it. Done when it returns; the live rows are unchanged.
   */
  reclaim(tables: readonly string[]): Promise<ReclaimReport>;
  close(): Promise<void>;
}
