import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ConnectionPool, type CachedConnection } from './duckdb-connection-pool.ts';
import { SequenceClaims } from './sequence-claims.ts';
import { DomainError } from '../errors/index.ts';
import {
  duckdbStorageVersion, unknownStorageVersion, WarehouseError, WarehouseLockedError, assertIdentifier, insertFromJsonSql, reclaimDuckDB, rowsAsJson,
  type DuckDBWarehouse, type ReclaimReport, type Row, type SqlValue, type TableDefinition,
} from '../warehouse/index.ts';
import type { Numbering, StateReader, StateRow, StateStore, StateTransaction, TransactionOptions } from './state-store.ts';

/** Connections at most: the lanes below, and readers beside them. */
const POOL_SIZE = 6;
/** Transactions committed together at most (group commit). */
const GROUP_MAX = 64;
/**
 * Groups in flight at once, each on its own connection. One: DuckDB commits one transaction at a time,
 * and on two cores a second or third group only contended with the first (`bench:api-flows`: 14% more
 * CPU a request and a lower ceiling with three; benchmarks/README.md).
 */
const LANES = 1;
/** How DuckDB reports a unique key taken or a row another transaction changed first. */
const CONFLICT = /Constraint Error|constraint violation|Conflict on|write-write conflict/i;

interface QueuedTransaction {
  work: (tx: StateTransaction) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The embedded `StateStore`: DuckDB, in the warehouse's own database file when the
 * warehouse is DuckDB (one file, one owner, one backup), or in a file of its own
 * beside a ClickHouse warehouse.
 *
 * Transactions are group-committed: DuckDB syncs its WAL at every commit (about 550
 * commits a second here), so the transactions that queue while a group commits run
 * one after another inside the next DuckDB transaction and commit together, in order:
 * each sees the ones before it, as in a serial run. `LANES` groups are in flight at most,
 * each on its own connection; two groups racing for one key meet at commit. When anything in a group fails,
 * the group is rolled back and each of its transactions runs again alone, so one's
 * failure (a taken key, a caller's error) is only its own. A transaction's work may
 * therefore run twice: it does only statements on its transaction.
 */
export class DuckDBStateStore implements StateStore {
  readonly engine = 'duckdb';
  readonly soleWriter = true;
  private readonly pool: ConnectionPool;
  private closed = false;
  private readonly running = new Set<Promise<unknown>>();
  private readonly queue: QueuedTransaction[] = [];
  private lanes = 0;
  /** Transactions begun and not yet settled. */
  private readonly writes = new Set<Promise<unknown>>();
  /** While `reclaim` replaces tables: what new transactions wait for. */
  private reclaiming: Promise<void> | undefined;
  readonly tables: readonly TableDefinition[];
  private readonly byName: ReadonlyMap<string, TableDefinition>;
  /** One process holds the file, so sequences are counted here. */
  private readonly claims = new SequenceClaims();

  private constructor(
    readonly location: string,
    tables: readonly TableDefinition[],
    private readonly connectTo: () => Promise<DuckDBConnection>,
    private readonly instance?: DuckDBInstance,
    /** The warehouse whose file it shares: that file is reclaimed through it, under its write lock. */
    private readonly warehouse?: DuckDBWarehouse,
  ) {
    this.tables = tables.filter((table) => table.state);
    this.byName = new Map(this.tables.map((table) => [table.name, table]));
    this.pool = new ConnectionPool(connectTo, POOL_SIZE);
  }

  /** A connection of its own on the store's database, outside the pool (a backup's snapshot); the caller closes it before the store closes. */
  connect(): Promise<DuckDBConnection> {
    if (this.closed) return Promise.reject(new WarehouseError(`the state store (${this.location}) is closed`));
    return this.connectTo();
  }

  /** State in a DuckDB file of its own (`:memory:` for a throwaway one), holding the state tables among `tables`. */
  static async open(path: string, tables: readonly TableDefinition[]): Promise<DuckDBStateStore> {
    let instance: DuckDBInstance;
    const storageVersion = duckdbStorageVersion();
    try {
      // Only small statements run here: one thread, the one that asks, does each (see the DuckDB warehouse's SERVING_THREADS).
      instance = await DuckDBInstance.create(path, { threads: '1', storage_compatibility_version: storageVersion });
    } catch (error) {
      const unknown = unknownStorageVersion(storageVersion, error);
      if (unknown) throw unknown;
      const message = (error as Error).message;
      if (/lock/i.test(message)) throw new WarehouseLockedError(path, Number(/PID (\d+)/.exec(message)?.[1]) || undefined, { cause: error });
      throw new WarehouseError(`cannot open the state store at ${path}: ${message}`, { cause: error });
    }
    return new DuckDBStateStore(path, tables, () => instance.connect(), instance);
  }

  /** State in the DuckDB warehouse's database, on connections of its own. */
  static sharing(warehouse: DuckDBWarehouse, tables: readonly TableDefinition[]): DuckDBStateStore {
    return new DuckDBStateStore(warehouse.location, tables, () => warehouse.connect(), undefined, warehouse);
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.track(async () => {
      const connection = await this.acquire();
      try {
        return await read<T>(connection, sql, params);
      } finally {
        this.pool.release(connection);
      }
    });
  }

  snapshot<T>(work: (reader: StateReader) => Promise<T>): Promise<T> {
    return this.track(async () => {
      const connection = await this.acquire();
      try {
        // DuckDB's transactions read one snapshot (MVCC); this one writes nothing and ends in ROLLBACK.
        await connection.runPlain('BEGIN TRANSACTION');
        try {
          return await work(new SerialReader(connection));
        } finally {
          await connection.runPlain('ROLLBACK').catch(() => undefined);
        }
      } finally {
        this.pool.release(connection);
      }
    });
  }

  transaction<T>(work: (tx: StateTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const begin = (): Promise<T> => {
      if (options.alone) return this.runTransaction(work);
      return new Promise<T>((resolve, reject) => {
        this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (this.lanes < LANES) void this.drain();
      });
    };
    return this.track(() => {
      const running = this.reclaiming ? this.reclaiming.then(begin) : begin();
      this.writes.add(running);
      void running.finally(() => this.writes.delete(running)).catch(() => undefined);
      return running;
    });
  }

  private async drain(): Promise<void> {
    this.lanes++;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, GROUP_MAX);
        if (group.length === 1 || !(await this.commitTogether(group))) {
          for (const queued of group) await this.runTransaction(queued.work).then(queued.resolve, queued.reject);
        }
      }
    } finally {
      this.lanes--;
    }
  }

  /** Runs the group as one DuckDB transaction; false, with nothing written, when any part of it fails. */
  private async commitTogether(group: readonly QueuedTransaction[]): Promise<boolean> {
    const connection = await this.acquire();
    try {
      const tx = new DuckDBStateTransaction(connection, this.byName, this.claims);
      const results: unknown[] = [];
      try {
        for (const queued of group) results.push(await queued.work(tx));
        await tx.commit();
      } catch {
        await tx.rollback();
        return false;
      }
      group.forEach((queued, i) => queued.resolve(results[i]));
      return true;
    } finally {
      this.pool.release(connection);
    }
  }

  private async runTransaction<T>(work: (tx: StateTransaction) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    try {
      const tx = new DuckDBStateTransaction(connection, this.byName, this.claims);
      try {
        const result = await work(tx);
        await tx.commit();
        return result;
      } catch (error) {
        await tx.rollback();
        throw error;
      }
    } finally {
      this.pool.release(connection);
    }
  }

  /** Rewrites its `tables` and overwrites the file's free blocks (`reclaimDuckDB`): in the warehouse's file, through the warehouse. */
  reclaim(tables: readonly string[]): Promise<ReclaimReport> {
    const own = tables.filter((table) => this.byName.has(table));
    return this.track(async () => {
      // No transaction runs while its tables are replaced: one writing to the old table would be lost with it.
      while (this.reclaiming) await this.reclaiming;
      let done = () => undefined as void;
      this.reclaiming = new Promise<void>((resolve) => (done = resolve));
      try {
        await Promise.allSettled(this.writes);
        if (this.warehouse) return await this.warehouse.reclaim(own);
        const connection = await this.acquire();
        try {
          return await reclaimDuckDB(connection.connection, own);
        } finally {
          this.pool.release(connection);
        }
      } finally {
        this.reclaiming = undefined;
        done();
      }
    });
  }

  /** Refuses new work, lets what is running finish, then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.running);
    this.pool.close();
    this.instance?.closeSync();
  }

  private track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new WarehouseError(`the state store (${this.location}) is closed`));
    const running = operation();
    this.running.add(running);
    void running.finally(() => this.running.delete(running)).catch(() => undefined);
    return running;
  }

  private acquire(): Promise<CachedConnection> {
    if (this.closed) return Promise.reject(new WarehouseError(`the state store (${this.location}) is closed`));
    return this.pool.acquire();
  }
}

/** Reads on one connection, one at a time (a connection runs one statement at once), in the order asked. */
class SerialReader implements StateReader {
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly connection: CachedConnection) {}

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const next = this.last.catch(() => undefined).then(() => read<T>(this.connection, sql, params));
    this.last = next;
    return next;
  }
}

/**
 * Inserts are held until the transaction needs an answer (a read, an idempotent insert, a
 * compare-and-set) or commits, so that a group's inserts into one table go as one statement.
 * Every statement is kept prepared on its connection and bound: DuckDB parses, binds and
 * plans a script on every run, which cost it more than the rows (a group's rows went as
 * literals of one script before; that trip saved less than the planning cost). A transaction
 * that is one insert commits by itself, in one trip.
 */
interface HeldInsert {
  table: TableDefinition;
  columns: string[];
  /** The table and the columns: inserts with the same key go as one statement. */
  key: string;
  rows: StateRow[];
}

class DuckDBStateTransaction implements StateTransaction {
  private held: HeldInsert[] = [];
  private begun = false;
  private committed: (() => void)[] = [];
  /**
   * The first statement that failed. DuckDB ends the transaction there and then answers COMMIT without an error, keeping
   * nothing: a transaction whose work caught the failure must fail with it, not report its writes (or its group's) kept.
   */
  private failure: Error | undefined;

  constructor(
    private readonly connection: CachedConnection,
    private readonly stateTables: ReadonlyMap<string, TableDefinition>,
    private readonly claims: SequenceClaims,
  ) {}

  /** Numbered at once, from the sequence held in memory (see `SequenceClaims`), and held like any insert. */
  async insertNumbered(table: string, rows: readonly StateRow[], numbering: Numbering, numbered: (first: number) => void): Promise<void> {
    this.stateTable(table);
    if (rows.length === 0) return;
    const first = await this.claims.claim(this, numbering.sequence, rows.length, (reader) => numbering.head(reader), this);
    await this.insert(table, rows.map((row, i) => ({ ...row, [numbering.column]: first + i })));
    this.afterCommit(() => numbered(first));
  }

  afterCommit(callback: () => void): void {
    this.committed.push(callback);
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    await this.sendHeld();
    return this.noting(read<T>(this.connection, sql, params));
  }

  async insert(table: string, rows: readonly StateRow[]): Promise<void> {
    const definition = this.stateTable(table);
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!);
    const key = `${table}(${columns.join()})`;
    // Held inserts run before any later statement of the transaction and read nothing, so their order across tables does not
    // matter: a group's inserts into one table, whoever made them, go as one statement.
    const same = this.held.find((held) => held.key === key);
    if (same) same.rows.push(...rows);
    else this.held.push({ table: definition, columns, key, rows: [...rows] });
  }

  async insertNew(table: string, rows: readonly StateRow[]): Promise<number> {
    const definition = this.stateTable(table);
    await this.sendHeld();
    if (rows.length === 0) return 0;
    const columns = Object.keys(rows[0]!);
    const sql = insertSql(definition, columns, ' ON CONFLICT DO NOTHING RETURNING 1');
    return (await this.noting(read(this.connection, sql, [rowsAsJson(rows, columns)], true))).length;
  }

  async compareAndSet(table: string, where: StateRow, expected: StateRow, changes: StateRow): Promise<boolean> {
    this.stateTable(table);
    await this.sendHeld();
    const set = Object.keys(changes).map((column) => `${assertIdentifier(column)} = ?`);
    const conditions = [...Object.keys(where), ...Object.keys(expected)].map((column) => `${assertIdentifier(column)} = ?`);
    const params = [...Object.values(changes), ...Object.values(where), ...Object.values(expected)];
    const rows = await this.noting(read(this.connection, `UPDATE ${table} SET ${set.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING 1`, params, true));
    return rows.length > 0;
  }

  async delete(table: string, where: StateRow): Promise<number> {
    this.stateTable(table);
    if (Object.keys(where).length === 0) throw new WarehouseError(`a delete from ${table} names no row; it would remove them all`);
    await this.sendHeld();
    const conditions = Object.keys(where).map((column) => `${assertIdentifier(column)} = ?`);
    const rows = await this.noting(read(this.connection, `DELETE FROM ${table} WHERE ${conditions.join(' AND ')} RETURNING 1`, Object.values(where), true));
    return rows.length;
  }

  /** Sends what is held, and COMMIT; then gives up its sequences and runs what waited for the commit. */
  async commit(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.begun && this.held.length === 1) await this.commitLoneInsert();
    else if (this.begun || this.held.length > 0) {
      await this.sendHeld();
      await this.plain('COMMIT');
    }
    this.claims.end(this, true);
    const committed = this.committed;
    this.committed = [];
    for (const callback of committed) callback();
  }

  /** A transaction that is one insert needs no BEGIN or COMMIT: the statement commits by itself (DuckDB's autocommit). */
  private async commitLoneInsert(): Promise<void> {
    const [held] = this.held as [HeldInsert];
    this.held = [];
    await this.insertHeld(held);
  }

  /** Ends the transaction with nothing written, whatever state a failure left it in. */
  async rollback(): Promise<void> {
    this.held = [];
    this.committed = [];
    // Nothing to undo when BEGIN never went, or a failed COMMIT has ended the transaction already.
    if (this.begun) await this.connection.runPlain('ROLLBACK').catch(() => undefined);
    // Only once its rows are gone may another transaction take the numbers back.
    this.claims.end(this, false);
  }

  /** BEGIN, unless sent already, and the held inserts: each a kept statement with its rows bound as one JSON text. */
  private async sendHeld(): Promise<void> {
    if (!this.begun) {
      this.begun = true;
      await this.plain('BEGIN TRANSACTION');
    }
    const held = this.held;
    this.held = [];
    if (held.length === 1) return this.insertHeld(held[0]!);
    // Sent together: the connection runs them one after another (in any order: they read nothing), without a trip back to
    // Node's main thread between them. The first to fail aborts the transaction and the others with it: report its error.
    const settled = await Promise.allSettled(held.map((insert) => this.insertHeld(insert)));
    const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
    if (failures.length > 0) throw failures.find((error) => error instanceof DomainError) ?? failures[0];
  }

  private async insertHeld({ table, columns, rows }: HeldInsert): Promise<void> {
    try {
      await this.connection.run(insertSql(table, columns), [rowsAsJson(rows, columns)]);
    } catch (error) {
      throw this.noted(translate(error, table.name));
    }
  }

  private async plain(sql: string): Promise<void> {
    try {
      await this.connection.runPlain(sql);
    } catch (error) {
      throw this.noted(translate(error, sql));
    }
  }

  /** `statement`'s outcome, its failure kept as the transaction's (see `failure`). */
  private async noting<T>(statement: Promise<T>): Promise<T> {
    try {
      return await statement;
    } catch (error) {
      throw this.noted(error as Error);
    }
  }

  private noted(error: Error): Error {
    this.failure ??= error;
    return error;
  }

  private stateTable(table: string): TableDefinition {
    const definition = this.stateTables.get(table);
    if (!definition) throw new WarehouseError(`${table} is not operational state: write it to the warehouse`);
    return definition;
  }
}

/** `reuse`: the statement's every value is a parameter, so its kept plan cannot go stale (`CachedConnection.read`). */
async function read<T extends Row>(connection: CachedConnection, sql: string, params: readonly SqlValue[], reuse = false): Promise<T[]> {
  try {
    return await connection.read<T>(sql, params, reuse);
  } catch (error) {
    throw translate(error, sql);
  }
}

/** An insert of rows given as JSON text into a state table, refusing a column the table does not have. */
function insertSql(table: TableDefinition, columns: readonly string[], suffix = ''): string {
  const known = new Set(table.columns.map((column) => column.name));
  for (const column of columns) if (!known.has(column)) throw new Error(`${table.name} has no column ${column}`);
  return insertFromJsonSql(table.name, columns, suffix);
}

/** A race lost is a conflict the caller may retry; anything else is the engine failing. */
function translate(error: unknown, what: string): Error {
  if (error instanceof DomainError || error instanceof WarehouseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/CHECK constraint failed/i.test(message)) return new DomainError('STATE_CHECK_FAILED', message.split('\n')[0]);
  if (CONFLICT.test(message)) return new DomainError('STATE_CONFLICT', message.split('\n')[0]);
  return new WarehouseError(`DuckDB failed (${what.slice(0, 200)}): ${message}`, { cause: error });
}
