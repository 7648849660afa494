import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DomainError } from '../errors/index.ts';
import {
  WarehouseError, WarehouseLockedError, assertIdentifier, rowsOf, toDuckDBParam,
  type DuckDBWarehouse, type Row, type SqlValue, type TableDefinition,
} from '../warehouse/index.ts';
import type { StateRow, StateStore, StateTransaction } from './state-store.ts';

/** Idle connections kept for the next transaction or read. */
const POOL_SIZE = 4;
/** Rows per INSERT statement: DuckDB binds at most 65,535 parameters. */
const PARAMS_PER_STATEMENT = 30_000;
/** Transactions committed together at most (group commit). */
const GROUP_MAX = 64;
/** Groups in flight at once, each on its own connection: DuckDB runs their statements side by side. */
const LANES = 3;
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
 * each sees the ones before it, as in a serial run. Up to `LANES` groups are in flight,
 * each on its own connection; two groups racing for one key meet at commit. When anything in a group fails,
 * the group is rolled back and each of its transactions runs again alone, so one's
 * failure (a taken key, a caller's error) is only its own. A transaction's work may
 * therefore run twice: it does only statements on its transaction.
 */
export class DuckDBStateStore implements StateStore {
  readonly engine = 'duckdb';
  private readonly idle: DuckDBConnection[] = [];
  private readonly open = new Set<DuckDBConnection>();
  private closed = false;
  private readonly running = new Set<Promise<unknown>>();
  private readonly queue: QueuedTransaction[] = [];
  private lanes = 0;
  readonly tables: readonly TableDefinition[];
  private readonly names: ReadonlySet<string>;

  private constructor(
    readonly location: string,
    tables: readonly TableDefinition[],
    private readonly newConnection: () => Promise<DuckDBConnection>,
    private readonly instance?: DuckDBInstance,
  ) {
    this.tables = tables.filter((table) => table.state);
    this.names = new Set(this.tables.map((table) => table.name));
  }

  /** State in a DuckDB file of its own (`:memory:` for a throwaway one), holding the state tables among `tables`. */
  static async open(path: string, tables: readonly TableDefinition[]): Promise<DuckDBStateStore> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      const message = (error as Error).message;
      if (/lock/i.test(message)) throw new WarehouseLockedError(path, Number(/PID (\d+)/.exec(message)?.[1]) || undefined, { cause: error });
      throw new WarehouseError(`cannot open the state store at ${path}: ${message}`, { cause: error });
    }
    return new DuckDBStateStore(path, tables, () => instance.connect(), instance);
  }

  /** State in the DuckDB warehouse's database, on connections of its own. */
  static sharing(warehouse: DuckDBWarehouse, tables: readonly TableDefinition[]): DuckDBStateStore {
    return new DuckDBStateStore(warehouse.location, tables, () => warehouse.connect());
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.track(async () => {
      const connection = await this.acquire();
      try {
        return await read<T>(connection, sql, params);
      } finally {
        this.release(connection);
      }
    });
  }

  transaction<T>(work: (tx: StateTransaction) => Promise<T>): Promise<T> {
    return this.track(() => new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.lanes < LANES) void this.drain();
    }));
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
      await connection.run('BEGIN TRANSACTION');
      const results: unknown[] = [];
      try {
        const tx = new DuckDBStateTransaction(connection, this.names);
        for (const queued of group) results.push(await queued.work(tx));
        await tx.flush();
        await run(connection, 'COMMIT');
      } catch {
        await connection.run('ROLLBACK').catch(() => undefined);
        return false;
      }
      group.forEach((queued, i) => queued.resolve(results[i]));
      return true;
    } finally {
      this.release(connection);
    }
  }

  private async runTransaction<T>(work: (tx: StateTransaction) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    try {
      await connection.run('BEGIN TRANSACTION');
      try {
        const tx = new DuckDBStateTransaction(connection, this.names);
        const result = await work(tx);
        await tx.flush();
        await run(connection, 'COMMIT');
        return result;
      } catch (error) {
        // A failed COMMIT has already ended the transaction.
        await connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      this.release(connection);
    }
  }

  /** Refuses new work, lets what is running finish, then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.running);
    for (const connection of this.open) connection.closeSync();
    this.open.clear();
    this.idle.length = 0;
    this.instance?.closeSync();
  }

  private track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new WarehouseError(`the state store (${this.location}) is closed`));
    const running = operation();
    this.running.add(running);
    void running.finally(() => this.running.delete(running)).catch(() => undefined);
    return running;
  }

  private async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new WarehouseError(`the state store (${this.location}) is closed`);
    const connection = this.idle.pop() ?? (await this.newConnection());
    this.open.add(connection);
    return connection;
  }

  private release(connection: DuckDBConnection): void {
    if (this.closed) return;
    if (this.idle.length < POOL_SIZE) {
      this.idle.push(connection);
      return;
    }
    this.open.delete(connection);
    connection.closeSync();
  }
}

/**
 * Inserts are held until the transaction next reads, changes or commits, and rows for one table
 * go out as one statement: a group of transactions that each insert a row costs one statement,
 * not one each (DuckDB's cost is per statement far more than per row).
 */
class DuckDBStateTransaction implements StateTransaction {
  private held: { table: string; columns: string; rows: StateRow[] }[] = [];

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly stateTables: ReadonlySet<string>,
  ) {}

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    await this.flush();
    return read<T>(this.connection, sql, params);
  }

  async insert(table: string, rows: readonly StateRow[]): Promise<void> {
    this.assertState(table);
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!).join();
    const last = this.held.at(-1);
    if (last?.table === table && last.columns === columns) last.rows.push(...rows);
    else this.held.push({ table, columns, rows: [...rows] });
  }

  /** Writes the held inserts. */
  async flush(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const { table, rows } of held) {
      for (const statement of insertStatements(table, rows, '')) await run(this.connection, statement.sql, statement.params);
    }
  }

  async insertNew(table: string, rows: readonly StateRow[]): Promise<number> {
    this.assertState(table);
    await this.flush();
    let inserted = 0;
    for (const statement of insertStatements(table, rows, ' ON CONFLICT DO NOTHING RETURNING 1')) {
      inserted += (await read(this.connection, statement.sql, statement.params)).length;
    }
    return inserted;
  }

  async compareAndSet(table: string, where: StateRow, expected: StateRow, changes: StateRow): Promise<boolean> {
    this.assertState(table);
    await this.flush();
    const set = Object.keys(changes).map((column) => `${assertIdentifier(column)} = ?`);
    const conditions = [...Object.keys(where), ...Object.keys(expected)].map((column) => `${assertIdentifier(column)} = ?`);
    const params = [...Object.values(changes), ...Object.values(where), ...Object.values(expected)];
    const rows = await read(this.connection, `UPDATE ${table} SET ${set.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING 1`, params);
    return rows.length > 0;
  }

  private assertState(table: string): void {
    if (!this.stateTables.has(table)) throw new WarehouseError(`${table} is not operational state: write it to the warehouse`);
  }
}

function* insertStatements(table: string, rows: readonly StateRow[], suffix: string): Generator<{ sql: string; params: SqlValue[] }> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).map(assertIdentifier);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const perStatement = Math.max(1, Math.floor(PARAMS_PER_STATEMENT / columns.length));
  for (let at = 0; at < rows.length; at += perStatement) {
    const slice = rows.slice(at, at + perStatement);
    yield {
      sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${slice.map(() => tuple).join(', ')}${suffix}`,
      params: slice.flatMap((row) => columns.map((column) => row[column] ?? null)),
    };
  }
}

async function run(connection: DuckDBConnection, sql: string, params: readonly SqlValue[] = []): Promise<void> {
  try {
    await connection.run(sql, params.length ? params.map(toDuckDBParam) : undefined);
  } catch (error) {
    throw translate(error, sql);
  }
}

async function read<T extends Row>(connection: DuckDBConnection, sql: string, params: readonly SqlValue[]): Promise<T[]> {
  try {
    return rowsOf<T>(await connection.runAndReadAll(sql, params.length ? params.map(toDuckDBParam) : undefined));
  } catch (error) {
    throw translate(error, sql);
  }
}

/** A race lost is a conflict the caller may retry; anything else is the engine failing. */
function translate(error: unknown, sql: string): Error {
  if (error instanceof DomainError || error instanceof WarehouseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (CONFLICT.test(message)) return new DomainError('STATE_CONFLICT', message.split('\n')[0]);
  return new WarehouseError(`DuckDB failed (${sql.slice(0, 200)}): ${message}`, { cause: error });
}
