import type { ReclaimReport, Row, SqlValue, TableDefinition } from '../warehouse/index.ts';

/** A row to write: column name → value. */
export type StateRow = Readonly<Record<string, SqlValue>>;

export type StateEngineName = 'duckdb' | 'postgresql';

/**
 * Reads of committed state. SQL is the subset DuckDB and PostgreSQL share
 * (`?` placeholders, `DISTINCT ON`, `RETURNING`, `ON CONFLICT`), so each adapter
 * runs the stores' statements as they are.
 */
export interface StateReader {
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

/** What a transaction may do besides reading: every write in it lands, or none does. */
export interface StateTransaction extends StateReader {
  /** Inserts rows into a state table; a row whose unique key is taken fails the transaction with `STATE_CONFLICT`. */
  insert(table: string, rows: readonly StateRow[]): Promise<void>;
  /**
   * Inserts the rows whose unique keys are free and skips the others (an idempotent write): how many
   * went in. A key another transaction takes while this one runs still fails the commit (`STATE_CONFLICT`).
   */
  insertNew(table: string, rows: readonly StateRow[]): Promise<number>;
  /**
   * Sets `changes` on the rows `where` selects, only while they still hold `expected`:
   * false, changing nothing, when another writer got there first (or no row matches).
   */
  compareAndSet(table: string, where: StateRow, expected: StateRow, changes: StateRow): Promise<boolean>;
  /** Deletes the rows `where` selects (every column of it must match; an empty `where` is refused): how many went. */
  delete(table: string, where: StateRow): Promise<number>;
  /**
   * Inserts `rows` numbered by a sequence: row i's `numbering.column` is first + i, first being the
   * sequence's next free number, and `numbered(first)` runs once the transaction has committed. The sequence
   * is this transaction's from when the adapter takes it (at the call, or as late as the COMMIT) until it
   * ends: another transaction numbering by it waits, and a rollback gives the numbers back, so committed
   * transactions' numbers follow one another with no hole and none twice. Rows are written by the COMMIT
   * at the latest: read them after. Two transactions never wait for each other for ever: one that would
   * fails with `STATE_CONFLICT`.
   */
  insertNumbered(table: string, rows: readonly StateRow[], numbering: Numbering, numbered: (first: number) => void): Promise<void>;
  /** Runs `callback` once the transaction has committed (after the adapter's COMMIT returned), before the transaction's caller resumes; never when it rolls back. It must not throw. */
  afterCommit(callback: () => void): void;
}

/** How `insertNumbered` numbers rows. */
export interface Numbering {
  /** The sequence (a tenant's log: `ledger/<tenant>`). */
  sequence: string;
  /** The column each row's number goes in. */
  column: string;
  /**
   * The sequence's next free number as committed state says (one past the log's last index): read when the
   * adapter first uses the sequence, and again wherever it cannot count on what it saw.
   */
  head(reader: StateReader): Promise<number>;
}

export interface TransactionOptions {
  /**
   * Commit on its own, now, instead of joining a group commit (where it would wait for the groups in
   * flight and then for its whole group): for a writer that is itself a serial chain of small writes,
   * such as the ledger's appends, which every receipted request waits on.
   */
  alone?: boolean;
}

/**
 * Operational state: entities, approvals, ledger sequencing, evidence, invoices —
 * what needs transactions, unique keys and compare-and-set, which the analytical
 * warehouse (ClickHouse) lacks. Its tables are those of the registry (the kernel's and
 * every pack's) declared with `state`, and their unique keys hold under every writer: two writers racing for one key get
 * one success and one `STATE_CONFLICT` (a `DomainError`), never two rows.
 */
export interface StateStore extends StateReader {
  readonly engine: StateEngineName;
  /**
   * True when this process is the store's only writer (an embedded DuckDB file: one process holds it), so
   * services may keep state in memory and update it by their own writes; false on PostgreSQL, where other
   * platform processes write too and such caches would go stale: services read the store instead.
   */
  readonly soleWriter: boolean;
  /** Where the state lives, for messages and the readiness report. */
  readonly location: string;
  /** The operational tables it holds: only these are written. */
  readonly tables: readonly TableDefinition[];
  /**
   * Runs `work` as one transaction: committed when it returns, rolled back when it throws (a conflict
   * included). An adapter may run `work` again (group commit retries a failed group one by one), so
   * it does only statements on its transaction.
   */
  transaction<T>(work: (tx: StateTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Runs `work`'s reads against one committed state: a transaction that commits while they run
   * is seen by all of them or by none. What is read in several statements (a run and its
   * transitions, approvals and steps) is read here, or it can be torn by a writer in between.
   */
  snapshot<T>(work: (reader: StateReader) => Promise<T>): Promise<T>;
  /** Removes from storage the values its transactions deleted or replaced in `tables` (an erasure): see `Warehouse.reclaim`. */
  reclaim(tables: readonly string[]): Promise<ReclaimReport>;
  close(): Promise<void>;
}
