import { randomUUID } from 'node:crypto';
import {
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBType,
} from '@duckdb/node-api';
import { WarehouseError, WarehouseLockedError } from '../errors.ts';
import { assertIdentifier } from '../identifier.ts';
import { SerialLock } from '../serial-lock.ts';
import { insertFromJsonSql, tuplesAsJson } from './duckdb-json-rows.ts';
import { duckdbStorageVersion, unknownStorageVersion } from './duckdb-storage-version.ts';
import { DuckDBThreads, SERVING_THREADS } from './duckdb-threads.ts';
import { GroupCommits } from './group-commits.ts';
import { groupedByTenant } from './tenant-grouping.ts';
import { UniqueWriter, type UniqueStorage } from '../unique-writer.ts';
import { columnsOfSql, columnsSql, isMissingRelation, RELATION_KIND_SQL } from './duckdb-catalog.ts';
import { byRelation, type RelationColumn } from '../relation-columns.ts';
import type { ReadSession, ReclaimReport, RelationKind, Row, SqlValue, UniqueInsert, UniqueInsertResult, Warehouse, WarehouseCapabilities } from '../warehouse.ts';
import { DUCKDB_DIALECT } from './duckdb-dialect.ts';
import { csvLoadSql, parquetLoadSql, type ParquetLoadOptions } from './duckdb-file-loads.ts';
import { reclaimDuckDB } from './duckdb-reclaim.ts';
import { rowsOf, toDuckDBColumnValue, toDuckDBParam } from './duckdb-values.ts';

type Rows = readonly (readonly SqlValue[])[];

/** DuckDB's largest data chunk. */
const CHUNK_ROWS = 2048;
const READ_POOL_SIZE = 4;
/**
 * DuckDB checkpoints automatically inside the commit that crosses its WAL
 * threshold — and the appender commits synchronously, so that would stall the
 * event loop (every request, not only writes) for up to a second. Instead the
 * adapter checkpoints itself, asynchronously, every this many appended rows,
 * and keeps DuckDB's own threshold only as a backstop.
 */
const CHECKPOINT_EVERY_ROWS = 100_000;
/** Up to this many rows an insert is an INSERT statement (async, ~0.2 ms) rather than an appender commit (sync, ~1 ms). */
const STATEMENT_INSERT_ROWS = 256;
const WAL_BACKSTOP = '512MB';


/**
 * The embedded warehouse. One process owns the file; writes go through one
 * connection, one at a time, and reads use their own connections (DuckDB's
 * MVCC gives each a consistent snapshot). As the only writer, its in-memory
 * dedupe index (see `UniqueWriter`) sees every write.
 */
export class DuckDBWarehouse implements Warehouse {
  readonly engine = 'duckdb';
  readonly capabilities: WarehouseCapabilities = { transactions: true, duplicatesUntilMerged: false, synchronousMutations: true, concurrentWriters: false, batchWindowMs: 200 };
  readonly dialect = DUCKDB_DIALECT;
  private readonly writeLock = new SerialLock();
  private readonly unique: UniqueWriter;
  private readonly idleReaders: DuckDBConnection[] = [];
  private readonly columnTypes = new Map<string, Promise<Map<string, DuckDBType>>>();
  /** Appenders kept open between commits (creating one per commit costs ~10% of ingest). */
  private readonly appenders = new Map<string, DuckDBAppender>();
  /** Per connection, its prepared inserts by SQL; forgotten when SQL may have changed a table. */
  private insertsPrepared = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement>>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Small inserts, group-committed per table and columns (`insert`). */
  private readonly smallInserts = new GroupCommits<Rows>(
    (key, parts) => this.insertGroup(this.smallInsertTargets.get(key)!, parts),
    (run) => {
      this.inFlight.add(run);
      void run.then(() => this.inFlight.delete(run));
    },
  );
  private readonly smallInsertTargets = new Map<string, { table: string; columns: readonly string[] }>();
  private closed = false;
  /** Reclaims asked for and not done: while any is, every insert goes through the write lock. */
  private reclaiming = 0;
  private rowsSinceCheckpoint = 0;
  /** A checkpoint asked for inside a transaction, run when it ends (`checkpointSoon`). */
  private checkpointOwed = false;

  private constructor(
    readonly location: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    /** How many threads DuckDB runs: every core while a scan runs. */
    private readonly threads: DuckDBThreads,
    /** The database's catalog name: a name qualified by it is never a connection's TEMP table. */
    private readonly catalog: string,
  ) {
    const storage: UniqueStorage = {
      loadDigests: (spec, since) => this.loadDigests(spec, since),
      latestStamp: async (spec) => {
        const column = assertIdentifier(spec.stampColumn);
        const [row] = rowsOf<{ at: Date | null }>(await this.writer.runAndReadAll(`SELECT max(${column}) AS at FROM ${assertIdentifier(spec.table)}`));
        return row?.at ?? null;
      },
      // Ingest: one statement, so DuckDB parses and writes the rows on its own thread while the event loop reads the next batch.
      // On the serving threads, not every core: the platform meters its own requests through here a few times a second, and
      // each write that widened DuckDB kept it wide for the state store's transactions too (gated writes' median 8.5 → 3.2 ms
      // at 500 req/s), while a batch of ingested events gained nothing from the second core (benchmarks/README.md).
      write: async (spec, rows) => void (await this.append(spec.table, spec.columns, rows, { statement: true })),
    };
    this.unique = new UniqueWriter(storage, this.writeLock);
  }

  /**
   * Opens (creating if needed) the database at `path`; `:memory:` for a throwaway one. `allCores`: every statement
   * may use every core (a scratch database that only loads and scans, with no one waiting on small writes).
   */
  static async open(path: string, { allCores = false } = {}): Promise<DuckDBWarehouse> {
    let instance: DuckDBInstance;
    const storageVersion = duckdbStorageVersion();
    try {
      instance = await DuckDBInstance.create(path, { storage_compatibility_version: storageVersion });
    } catch (error) {
      const unknown = unknownStorageVersion(storageVersion, error);
      if (unknown) throw unknown;
      const message = (error as Error).message;
      if (/lock/i.test(message)) {
        const pid = /PID (\d+)/.exec(message)?.[1];
        throw new WarehouseLockedError(path, pid ? Number(pid) : undefined, { cause: error });
      }
      throw new WarehouseError(`cannot open the DuckDB warehouse at ${path}: ${message}`, { cause: error });
    }
    const writer = await instance.connect();
    await writer.run(`SET checkpoint_threshold = '${WAL_BACKSTOP}'`);
    const settings = await instance.connect();
    const [row] = rowsOf<{ threads: number; catalog: string }>(
      await settings.runAndReadAll("SELECT current_setting('threads')::INTEGER AS threads, current_database() AS catalog"),
    );
    const cores = Number(row?.threads) || SERVING_THREADS;
    const servingThreads = allCores ? cores : SERVING_THREADS;
    await settings.run(`SET threads = ${servingThreads}`);
    return new DuckDBWarehouse(path, instance, writer, new DuckDBThreads(settings, cores, servingThreads), String(row?.catalog ?? 'memory'));
  }

  /** Runs `work` with every core DuckDB may use (`DuckDBThreads`). */
  private allCores<T>(work: () => Promise<T>): Promise<T> {
    return this.threads.allCores(work);
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.allCores(async () => {
      const connection = await this.reader();
      try {
        return rowsOf<T>(await connection.runAndReadAll(sql, params.map(toDuckDBParam)));
      } catch (error) {
        throw wrap(error, sql);
      } finally {
        this.release(connection);
      }
    });
  }

  /** Kept rows are TEMP tables of the session's connection: no other connection sees them; dropped at the end. */
  readSession<T>(work: (session: ReadSession) => Promise<T>): Promise<T> {
    return this.allCores(async () => {
      const connection = await this.reader();
      const kept: string[] = [];
      const run = async <R>(sql: string, params: readonly SqlValue[], read: () => Promise<R>): Promise<R> => {
        try {
          return await read();
        } catch (error) {
          throw wrap(error, sql);
        }
      };
      let reusable = true;
      try {
        return await work({
          query: <R extends Row = Row>(sql: string, params: readonly SqlValue[] = []) =>
            run(sql, params, async () => rowsOf<R>(await connection.runAndReadAll(sql, params.map(toDuckDBParam)))),
          keep: (select: string, params: readonly SqlValue[] = []) => {
            const name = `kept_${randomUUID().replaceAll('-', '')}`;
            const statement = `CREATE TEMP TABLE ${name} AS ${select}`;
            return run(statement, params, async () => {
              await connection.run(statement, params.map(toDuckDBParam));
              kept.push(name);
              return name;
            });
          },
        });
      } finally {
        for (const name of kept) await connection.run(`DROP TABLE IF EXISTS temp.${name}`).catch(() => (reusable = false));
        if (reusable) this.release(connection);
        else connection.closeSync();
      }
    });
  }

  deleteWhere(table: string, condition: string, params: readonly SqlValue[] = []): Promise<void> {
    return this.execute(`DELETE FROM ${assertIdentifier(table)} WHERE ${condition}`, params);
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    return this.writeLock.run(() => this.executeOnWriter(sql, params));
  }

  /** `execute`'s statement, for a caller that holds the write lock. */
  private async executeOnWriter(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    // SQL may change a table under an open appender (a rename would keep it writing to the old table).
    this.forgetAppenders();
    try {
      await this.writer.run(sql, params.length ? params.map(toDuckDBParam) : undefined);
    } catch (error) {
      throw wrap(error, sql);
    }
  }

  /**
   * Small inserts (the API's single rows) run as INSERT statements on pooled
   * connections, in parallel across tables (DuckDB appends do not conflict),
   * and group-committed per table: what arrives while a table's previous insert
   * is running goes out together. Bulk inserts, and inserts inside a
   * transaction, go through the writer. One failing insert fails only its caller.
   */
  insert(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<number> {
    if (rows.length === 0) return Promise.resolve(0);
    if (rows.length > STATEMENT_INSERT_ROWS || this.writeLock.held() || this.reclaiming > 0) return this.writeLock.run(() => this.append(table, columns, rows));
    const key = `${table}(${columns.join(',')})`;
    if (!this.smallInsertTargets.has(key)) this.smallInsertTargets.set(key, { table, columns: [...columns] });
    return this.smallInserts.add(key, rows).then(() => rows.length);
  }

  /** A group of small inserts on a pooled connection: together, or, when that fails, one after another (each its own outcome). */
  private async insertGroup({ table, columns }: { table: string; columns: readonly string[] }, parts: readonly Rows[]): Promise<unknown[] | undefined> {
    const connection = await this.reader();
    try {
      if (parts.length === 1) {
        await this.insertStatements(connection, table, columns, parts[0]!);
        return undefined;
      }
      try {
        await this.insertStatements(connection, table, columns, parts.flat());
        return undefined;
      } catch {
        // One after another: the parts share the connection's prepared insert.
        const failed: unknown[] = [];
        for (const part of parts) failed.push(await this.insertStatements(connection, table, columns, part).then(() => undefined, (error: unknown) => error));
        return failed;
      }
    } finally {
      this.release(connection);
    }
  }

  async insertCsv(table: string, columns: readonly string[], path: string): Promise<void> {
    await this.bulkLoad(csvLoadSql(table, columns, await this.tableColumns(table), path));
  }

  async insertParquet(table: string, columns: readonly string[], paths: readonly string[], options: ParquetLoadOptions = {}): Promise<void> {
    await this.bulkLoad(parquetLoadSql(table, columns, paths, options));
  }

  /**
   * A file's rows inserted on every core in no particular order. Kept in file order, each part of the file a thread
   * read ended in a short row group of its own, and the next checkpoint — which every writer waits for — rewrote the
   * table to merge them: 1.7–3.4 s after a million-row bill, for ~0.6 s saved in the load. A table's row order is no
   * contract here (readers sort; a file's line numbers are read from the file). For this statement only: the setting is
   * the writer connection's, and nothing else runs on it meanwhile. Inside a caller's transaction the load keeps the
   * order: a failed statement there leaves the connection unable to run anything, the reset included, until ROLLBACK.
   */
  private bulkLoad(sql: string): Promise<void> {
    if (this.writeLock.held()) return this.allCores(() => this.execute(sql));
    return this.allCores(() => this.writeLock.run(async () => {
      await this.writer.run('SET SESSION preserve_insertion_order = false');
      try {
        await this.executeOnWriter(sql);
      } finally {
        // A reset that fails leaves the writer inserting in no order, which nothing reads by; the load's outcome (its own
        // error, or rows committed that the caller must record) is what the caller is told.
        await this.writer.run('RESET SESSION preserve_insertion_order').catch(() => undefined);
      }
    }));
  }

  insertUnique(spec: UniqueInsert, rows: readonly (readonly SqlValue[])[], digests?: readonly Uint8Array[]): Promise<UniqueInsertResult> {
    return this.unique.insert(spec, rows, digests);
  }

  /** In one transaction: DuckDB will not drop a view as a table (or back), so the old kind is looked up first. */
  async materialize(name: string, kind: RelationKind, select: string): Promise<void> {
    assertIdentifier(name);
    await this.allCores(() => this.transaction(async () => {
      const [existing] = await this.queryOnWriter<{ table_type: string }>(RELATION_KIND_SQL, [name, name]);
      if (existing?.table_type === 'VIEW' && kind === 'table') await this.execute(`DROP VIEW ${name}`);
      if (existing && existing.table_type !== 'VIEW' && kind === 'view') await this.execute(`DROP TABLE ${name}`);
      await this.execute(`CREATE OR REPLACE ${kind === 'view' ? 'VIEW' : 'TABLE'} ${name} AS ${select}`);
    }));
  }

  async mergeInto(name: string, select: string, uniqueKey: readonly string[]): Promise<void> {
    assertIdentifier(name);
    uniqueKey.forEach(assertIdentifier);
    if (uniqueKey.length === 0) return this.allCores(() => this.execute(`INSERT INTO ${name} SELECT * FROM (${select})`));
    const staged = `${name}__incoming`;
    const match = uniqueKey.map((k) => `${name}.${k} = ${staged}.${k}`).join(' AND ');
    const stage = `CREATE OR REPLACE TEMP TABLE ${staged} AS ${select}`;
    const replace = [`DELETE FROM ${name} USING ${staged} WHERE ${match}`, `INSERT INTO ${name} SELECT * FROM ${staged}`];
    // Inside the caller's transaction every statement runs on the writer, in it; during a reclaim, behind it.
    const onWriter = async () => {
      for (const sql of [stage, ...replace, `DROP TABLE temp.${staged}`]) await this.execute(sql);
    };
    if (this.writeLock.held()) return onWriter();
    if (this.reclaiming > 0) return this.allCores(() => this.transaction(onWriter));
    // The rows are selected on a connection of their own, outside the write lock (a temporary table is written only
    // to that connection's own catalog), so other writes — another model's merge in a build running several at once
    // — go on meanwhile; only the delete and insert take the writer's turn. Nothing but this model writes its table,
    // and rows that arrive in the raw tables meanwhile carry later stamps than any the selection saw. The selection
    // counts as in flight: `close` and `reclaim` wait for it.
    const connection = await this.reader();
    try {
      const selecting = this.allCores(() => connection.run(stage)).then(() => undefined);
      const tracked = selecting.catch(() => undefined);
      this.inFlight.add(tracked);
      try {
        await selecting;
      } finally {
        this.inFlight.delete(tracked);
      }
      await this.allCores(() => this.writeLock.run(async () => {
        if (this.closed) throw new WarehouseError('the warehouse is closed');
        try {
          await connection.run('BEGIN TRANSACTION');
          for (const sql of replace) await connection.run(sql);
          await connection.run('COMMIT');
        } catch (error) {
          await connection.run('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }));
    } catch (error) {
      throw wrap(error, `merge into ${name}`);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS temp.${staged}`).then(() => this.release(connection), () => connection.closeSync());
      if (this.checkpointOwed) this.checkpointSoon();
    }
  }

  async hasRelation(name: string): Promise<boolean> {
    const rows = await this.query(RELATION_KIND_SQL, [name, name]);
    return rows.length > 0;
  }

  async columns(name: string): Promise<{ name: string; type: string }[]> {
    try {
      return await this.query<{ name: string; type: string }>(columnsSql(this.catalog, name));
    } catch (error) {
      if (isMissingRelation(error)) return [];
      throw error;
    }
  }

  async columnsOf(names: readonly string[]): Promise<Map<string, RelationColumn[]>> {
    if (names.length === 0) return new Map();
    return byRelation(await this.query<RelationColumn & { relation: string }>(columnsOfSql(names.length), [this.catalog, ...names]));
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.writeLock.runHolding(async () => {
        await this.writer.run('BEGIN TRANSACTION');
        try {
          const result = await fn();
          await this.writer.run('COMMIT');
          return result;
        } catch (error) {
          // The error is the caller's to see, not a ROLLBACK's of a transaction the error already ended.
          await this.writer.run('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } finally {
      if (this.checkpointOwed) this.checkpointSoon();
    }
  }

  /**
   * Rewrites `tables` and overwrites the file's free blocks (`reclaimDuckDB`) while no insert runs:
   * under the write lock, once the small inserts already under way on other connections are done;
   * those asked for meanwhile wait on the lock.
   * The state store sharing the file holds its own transactions (`DuckDBStateStore.reclaim`).
   */
  async reclaim(tables: readonly string[]): Promise<ReclaimReport> {
    // From now on small inserts queue on the write lock too, behind the reclaim.
    this.reclaiming++;
    try {
      return await this.writeLock.run(async () => {
        await Promise.all(this.inFlight);
        this.forgetAppenders();
        return this.allCores(() => reclaimDuckDB(this.writer, tables));
      });
    } finally {
      this.reclaiming--;
    }
  }

  /**
   * A connection of its own on this database, for the port that shares the file (the
   * `StateStore`): its transactions run beside the warehouse's. The caller closes it
   * before the warehouse closes.
   */
  async connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new WarehouseError('the warehouse is closed');
    return this.instance.connect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all(this.inFlight);
    this.closed = true;
    await this.writeLock.run(async () => {
      this.forgetAppenders();
      // An in-memory database has nothing to keep: its checkpoint only compresses what is about to be freed (~1.4 s
      // for a million-row bill's scratch tables).
      if (this.location !== ':memory:') await this.writer.run('CHECKPOINT').catch(() => undefined);
      for (const connection of this.idleReaders.splice(0)) connection.closeSync();
      await this.threads.close();
      this.writer.closeSync();
      this.instance.closeSync();
    });
  }

  /**
   * Rows through the writer. Small ones (or all, with `statement`) as one INSERT statement: the event loop only
   * serializes them and DuckDB does the rest on its own thread. Bulk ones through the appender, fastest in total
   * and exact on decimals, but its commit holds the event loop.
   */
  private async append(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], { statement = false } = {}): Promise<number> {
    if (rows.length === 0) return 0;
    const typesByName = await this.tableColumns(table);
    if (columns.length !== typesByName.size || columns.some((c) => !typesByName.has(c))) {
      throw new WarehouseError(
        `insert into ${table} must list every column (${[...typesByName.keys()].join(', ')}); got ${columns.join(', ')}`,
      );
    }
    const grouped = groupedByTenant(columns, rows);
    if (statement || rows.length <= STATEMENT_INSERT_ROWS) await this.insertStatements(this.writer, table, columns, grouped);
    else {
      await this.appendChunks(table, columns, typesByName, grouped);
      this.countRows(rows.length);
    }
    return rows.length;
  }

  private countRows(rows: number): void {
    this.rowsSinceCheckpoint += rows;
    if (this.rowsSinceCheckpoint >= CHECKPOINT_EVERY_ROWS) {
      this.rowsSinceCheckpoint = 0;
      this.checkpointSoon();
    }
  }

  /**
   * A checkpoint queued behind the current write, on DuckDB's thread, not the event loop. Inside a transaction
   * (the lock is re-entrant) it would run at once, on the transaction's connection, and take the transaction's
   * rows with it (a transaction of 120,000 rows committed none): there it is owed until the transaction ends.
   */
  private checkpointSoon(): void {
    if (this.writeLock.held()) {
      this.checkpointOwed = true;
      return;
    }
    this.checkpointOwed = false;
    void this.writeLock.run(async () => {
      // Queued behind a write that `close` then waited for: the connection is gone (close checkpoints anyway).
      if (!this.closed) await this.writer.run('CHECKPOINT');
    }).catch(() => undefined);
  }

  /**
   * Rows as one INSERT statement, which DuckDB runs and commits on its own threads: all of them are written or none
   * (a group retried part by part after a failure must not find some of its rows already there).
   * The rows go as one JSON text bound to a statement kept prepared per connection (`insertFromJsonSql`): binding a
   * parameter per cell, and preparing a statement per call, cost the event loop more than the insert.
   */
  private async insertStatements(connection: DuckDBConnection, table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void> {
    const statement = await this.insertStatement(connection, table, columns);
    try {
      statement.clearBindings();
      statement.bindVarchar(1, tuplesAsJson(rows, columns));
      await statement.run();
    } catch (error) {
      throw wrap(error, `insert into ${table}`);
    }
    this.countRows(rows.length);
  }

  private async insertStatement(connection: DuckDBConnection, table: string, columns: readonly string[]): Promise<DuckDBPreparedStatement> {
    let statements = this.insertsPrepared.get(connection);
    if (!statements) this.insertsPrepared.set(connection, (statements = new Map()));
    const sql = insertFromJsonSql(table, columns);
    const known = statements.get(sql);
    if (known) return known;
    try {
      const statement = await connection.prepare(sql);
      statements.set(sql, statement);
      return statement;
    } catch (error) {
      throw wrap(error, `insert into ${table}`);
    }
  }

  /** Many rows through the appender: fastest in bulk, but its commit (`flushSync`) holds the event loop. */
  private async appendChunks(table: string, columns: readonly string[], typesByName: Map<string, DuckDBType>, rows: readonly (readonly SqlValue[])[]): Promise<void> {
    // The appender writes columns in table order; map the caller's order onto it.
    const tableOrder = [...typesByName.keys()];
    const sourceIndex = tableOrder.map((name) => columns.indexOf(name));
    const types = tableOrder.map((name) => typesByName.get(name)!);
    try {
      let appender = this.appenders.get(table);
      if (!appender) this.appenders.set(table, (appender = await this.writer.createAppender(table)));
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const slice = rows.slice(start, start + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(types, slice.length);
        chunk.setColumnsConverted(
          sourceIndex.map((from) => slice.map((row) => row[from] ?? null)),
          toDuckDBColumnValue,
        );
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } catch (error) {
      // Closing flushes: discard what this failed call appended, so a failure writes nothing.
      this.forgetAppenders({ discard: true });
      throw wrap(error, `append to ${table}`);
    }
  }

  /** A read on the writer connection, inside the write lock: it sees the transaction in progress. */
  private async queryOnWriter<T extends Row>(sql: string, params: readonly SqlValue[]): Promise<T[]> {
    return rowsOf<T>(await this.writer.runAndReadAll(sql, params.map(toDuckDBParam)));
  }

  private forgetAppenders({ discard = false } = {}): void {
    for (const appender of this.appenders.values()) {
      try {
        if (discard) appender.clear();
        appender.closeSync();
      } catch {
        // nothing left to save in an appender that cannot close
      }
    }
    this.appenders.clear();
    this.columnTypes.clear();
    // Prepared inserts are dropped, not destroyed: one may be running on a reader now (Node's finalizer frees it later).
    this.insertsPrepared = new WeakMap();
  }

  private tableColumns(table: string): Promise<Map<string, DuckDBType>> {
    let types = this.columnTypes.get(table);
    if (!types) {
      types = this.writer.runAndReadAll(`SELECT * FROM ${assertIdentifier(table)} LIMIT 0`).then((reader) => {
        const names = reader.columnNames();
        const columnTypes = reader.columnTypes();
        return new Map(names.map((name, i) => [name, columnTypes[i]!]));
      });
      types.catch(() => this.columnTypes.delete(table));
      this.columnTypes.set(table, types);
    }
    return types;
  }

  private async *loadDigests(spec: UniqueInsert, since: Date): AsyncIterable<string> {
    const pieces = spec.key.map((c) => `CAST(strlen(${assertIdentifier(c)}) AS VARCHAR), ':', ${c}`).join(', ');
    const result = await this.writer.stream(
      `SELECT md5(concat(${pieces})) FROM ${assertIdentifier(spec.table)} WHERE ${assertIdentifier(spec.windowColumn)} >= ?`,
      [toDuckDBParam(since)],
    );
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      yield* chunk.getColumnValues(0) as string[];
    }
  }

  private release(connection: DuckDBConnection): void {
    if (this.idleReaders.length < READ_POOL_SIZE && !this.closed) this.idleReaders.push(connection);
    else connection.closeSync();
  }

  private async reader(): Promise<DuckDBConnection> {
    if (this.closed) throw new WarehouseError('the warehouse is closed');
    return this.idleReaders.pop() ?? this.instance.connect();
  }
}

function wrap(error: unknown, what: string): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new WarehouseError(`DuckDB failed (${what.slice(0, 200)}): ${message}`, { cause: error });
}
