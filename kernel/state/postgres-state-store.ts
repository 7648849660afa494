import type pg from 'pg';
import { DomainError } from '../errors/index.ts';
import { WarehouseError, assertIdentifier, type ReclaimReport, type Row, type SqlValue, type TableDefinition } from '../warehouse/index.ts';
import { numberedPlaceholders, postgresType, toPostgresParam } from './postgres-sql.ts';
import type { Numbering, StateReader, StateRow, StateStore, StateTransaction } from './state-store.ts';

/** Connections at most per process: replicas share the server's `max_connections`. */
const POOL_SIZE = 10;
/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters a statement. */
const PARAMS_PER_STATEMENT = 60_000;

/** PostgreSQL's error codes a lost race answers with: unique violation, serialization failure, deadlock. */
const CONFLICT_CODES = new Set(['23505', '40001', '40P01']);
const CHECK_VIOLATION = '23514';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/** Values as every engine gives them back (see `Row`): big integers as numbers while exact, else text; numerics as text; timestamps as Dates. */
const typesOf = (driver: typeof pg): pg.CustomTypesConfig => ({
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (text: string) => (Number.isSafeInteger(Number(text)) ? Number(text) : text);
    if (oid === 1700) return (text: string) => text;
    return driver.types.getTypeParser(oid, format);
  },
}) as unknown as pg.CustomTypesConfig;

/**
 * The `StateStore` on PostgreSQL, for the scale-out profile: any number of platform processes
 * share it. Each transaction runs on a connection of its own (READ COMMITTED): a unique key taken
 * by another writer, a serialization failure or a deadlock is `STATE_CONFLICT`, and a compare-and-set
 * is one `UPDATE … WHERE … RETURNING`, which PostgreSQL serializes per row — one winner. Snapshots
 * read in REPEATABLE READ: every read of one sees the same committed state.
 */
export class PostgresStateStore implements StateStore {
  readonly engine = 'postgresql';
  readonly soleWriter = false;
  readonly tables: readonly TableDefinition[];
  private readonly byName: ReadonlyMap<string, TableDefinition>;
  private closed = false;

  private constructor(private readonly pool: pg.Pool, readonly location: string, tables: readonly TableDefinition[]) {
    this.tables = tables.filter((table) => table.state);
    this.byName = new Map(this.tables.map((table) => [table.name, table]));
  }

  /** Connects (and checks the server answers); `url` is `postgres://user[:password]@host:port/database`. */
  static async open(url: string, tables: readonly TableDefinition[]): Promise<PostgresStateStore> {
    let location: string;
    try {
      const parsed = new URL(url);
      location = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
    } catch (error) {
      throw new WarehouseError(`the state store URL is not a URL (${(error as Error).message})`, { cause: error });
    }
    // The driver is loaded here, not with the module: only the scale-out profile uses it.
    const { default: driver } = await import('pg');
    const pool = new driver.Pool({ connectionString: url, max: POOL_SIZE, types: typesOf(driver) });
    // An idle connection the server dropped is replaced, not thrown at whoever holds the pool.
    pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end();
      throw new WarehouseError(`cannot reach PostgreSQL at ${location}: ${(error as Error).message}`, { cause: error });
    }
    return new PostgresStateStore(pool, location, tables);
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.assertOpen();
    return run<T>(this.pool, sql, params);
  }

  async snapshot<T>(work: (reader: StateReader) => Promise<T>): Promise<T> {
    this.assertOpen();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await work(new SerialReader(client));
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
      }
    } finally {
      client.release();
    }
  }

  async transaction<T>(work: (tx: StateTransaction) => Promise<T>): Promise<T> {
    this.assertOpen();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const tx = new PostgresTransaction(client, this.byName);
        const result = await work(tx);
        await tx.numberHeld();
        await run(client, 'COMMIT');
        tx.committed();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  }

  /** `VACUUM FULL` rewrites each table without the rows deleted or replaced (an erasure). */
  async reclaim(tables: readonly string[]): Promise<ReclaimReport> {
    this.assertOpen();
    const started = performance.now();
    const own = tables.filter((table) => this.byName.has(table));
    for (const table of own) await run(this.pool, `VACUUM FULL ${assertIdentifier(table)}`);
    return { engine: 'postgresql', tables: own, rowsRewritten: 0, blocksScrubbed: 0, seconds: (performance.now() - started) / 1000, scrubSeconds: 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new WarehouseError(`the state store (${this.location}) is closed`);
  }
}

interface NumberedInsertHeld {
  table: string;
  rows: readonly StateRow[];
  numbering: Numbering;
  numbered(first: number): void;
}

class SerialReader implements StateReader {
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly client: pg.PoolClient) {}

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const next = this.last.catch(() => undefined).then(() => run<T>(this.client, sql, params));
    this.last = next;
    return next;
  }
}

class PostgresTransaction extends SerialReader implements StateTransaction {
  private readonly numberedInserts: NumberedInsertHeld[] = [];
  private readonly callbacks: (() => void)[] = [];

  constructor(private readonly connection: pg.PoolClient, private readonly byName: ReadonlyMap<string, TableDefinition>) {
    super(connection);
  }

  /**
   * Held to the COMMIT, so the sequence's row lock (taken by the UPDATE that numbers them) is held only for
   * the commit itself: see `numberHeld`.
   */
  async insertNumbered(table: string, rows: readonly StateRow[], numbering: Numbering, numbered: (first: number) => void): Promise<void> {
    this.stateTable(table);
    if (rows.length > 0) this.numberedInserts.push({ table, rows, numbering, numbered });
  }

  /**
   * Writes the numbered inserts, each sequence's in one statement: an UPDATE of its row in `state_sequences`
   * (its lock, held to COMMIT or ROLLBACK whichever process holds it; a waiter then reads the committed value)
   * that hands its numbers to the INSERT. Sequences are taken in key order, so two transactions never wait
   * for each other. A sequence without a row gets one from `head` first.
   */
  async numberHeld(): Promise<void> {
    const pending = this.numberedInserts.splice(0).sort((a, b) => (a.numbering.sequence < b.numbering.sequence ? -1 : a.numbering.sequence > b.numbering.sequence ? 1 : 0));
    for (const insert of pending) {
      let first = await this.numberedInsert(insert);
      if (first === undefined) {
        await this.query('INSERT INTO state_sequences (sequence_key, next_value) VALUES (?, ?) ON CONFLICT DO NOTHING', [insert.numbering.sequence, await insert.numbering.head(this)]);
        first = await this.numberedInsert(insert);
      }
      if (first === undefined) throw new WarehouseError(`the sequence ${insert.numbering.sequence} could not be created`);
      const at = first;
      this.afterCommit(() => insert.numbered(at));
    }
  }

  /** The first number the rows took; undefined (nothing inserted) when the sequence has no row. */
  private async numberedInsert({ table, rows, numbering }: NumberedInsertHeld): Promise<number | undefined> {
    const definition = this.stateTable(table);
    const types = new Map(definition.columns.map((column) => [column.name, postgresType(column.type)]));
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((column) => column !== numbering.column);
    for (const column of columns) if (!types.has(column)) throw new Error(`${table} has no column ${column}`);
    const values = rows.map(() => `(${['CAST(? AS INTEGER)', ...columns.map((column) => `CAST(? AS ${types.get(column)!})`)].join(', ')})`).join(', ');
    const sql = `WITH numbers AS (UPDATE state_sequences SET next_value = next_value + ? WHERE sequence_key = ? RETURNING next_value - ? AS first)
      INSERT INTO ${table} (${assertIdentifier(numbering.column)}, ${columns.join(', ')})
      SELECT numbers.first + v.i, ${columns.map((column) => `v.${column}`).join(', ')} FROM numbers, (VALUES ${values}) AS v(i, ${columns.join(', ')})
      RETURNING ${numbering.column} AS n`;
    const params = [rows.length, numbering.sequence, rows.length, ...rows.flatMap((row, i) => [i, ...columns.map((column) => row[column] ?? null)])];
    const inserted = await this.query<{ n: number }>(sql, params);
    return inserted.length === 0 ? undefined : Math.min(...inserted.map((row) => Number(row.n)));
  }

  afterCommit(callback: () => void): void {
    this.callbacks.push(callback);
  }

  /** Called once COMMIT returned. */
  committed(): void {
    for (const callback of this.callbacks) callback();
  }

  async insert(table: string, rows: readonly StateRow[]): Promise<void> {
    await this.write(table, rows, '');
  }

  insertNew(table: string, rows: readonly StateRow[]): Promise<number> {
    return this.write(table, rows, ' ON CONFLICT DO NOTHING');
  }

  async compareAndSet(table: string, where: StateRow, expected: StateRow, changes: StateRow): Promise<boolean> {
    this.stateTable(table);
    const set = Object.keys(changes).map((column) => `${assertIdentifier(column)} = ?`);
    const conditions = [...Object.keys(where), ...Object.keys(expected)].map((column) => `${assertIdentifier(column)} = ?`);
    const rows = await this.query(`UPDATE ${table} SET ${set.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING 1 AS changed`, [
      ...Object.values(changes), ...Object.values(where), ...Object.values(expected),
    ]);
    return rows.length > 0;
  }

  async delete(table: string, where: StateRow): Promise<number> {
    this.stateTable(table);
    if (Object.keys(where).length === 0) throw new WarehouseError(`a delete from ${table} names no row; it would remove them all`);
    const conditions = Object.keys(where).map((column) => `${assertIdentifier(column)} = ?`);
    return (await this.query(`DELETE FROM ${table} WHERE ${conditions.join(' AND ')} RETURNING 1 AS deleted`, Object.values(where))).length;
  }

  /** Multi-row INSERTs of the table's columns in the order the rows name them; how many rows went in. */
  private async write(table: string, rows: readonly StateRow[], suffix: string): Promise<number> {
    const definition = this.stateTable(table);
    if (rows.length === 0) return 0;
    const known = new Set(definition.columns.map((column) => column.name));
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    for (const column of columns) if (!known.has(column)) throw new Error(`${table} has no column ${column}`);
    // PostgreSQL reads 'now', 'today' or 'yesterday' as times: only a time itself is one here, as on DuckDB.
    for (const column of definition.columns.filter((c) => c.type === 'timestamp' && columns.includes(c.name))) {
      for (const row of rows) {
        const value = row[column.name];
        if (value !== null && value !== undefined && !(value instanceof Date) && !(typeof value === 'string' && ISO_TIME.test(value))) {
          throw new Error(`${table}.${column.name} is a time; got ${JSON.stringify(value).slice(0, 60)}`);
        }
      }
    }
    const perStatement = Math.max(1, Math.floor(PARAMS_PER_STATEMENT / columns.length));
    let inserted = 0;
    for (let at = 0; at < rows.length; at += perStatement) {
      const chunk = rows.slice(at, at + perStatement);
      const values = chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
      const result = await this.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}${suffix} RETURNING 1 AS inserted`, chunk.flatMap((row) => columns.map((column) => row[column] ?? null)));
      inserted += result.length;
    }
    return inserted;
  }

  private stateTable(table: string): TableDefinition {
    const definition = this.byName.get(table);
    if (!definition) throw new WarehouseError(`${table} is not operational state: write it to the warehouse`);
    return definition;
  }
}

async function run<T extends Row = Row>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
  try {
    const result = params.length === 0 ? await client.query(sql) : await client.query(numberedPlaceholders(sql), params.map(toPostgresParam));
    // Several statements in one text answer one result each.
    const last = Array.isArray(result) ? result.at(-1) : result;
    return ((last?.rows ?? []) as T[]);
  } catch (error) {
    throw translate(error, sql);
  }
}

/** A race lost is a conflict the caller may retry; a rule broken is its own answer; anything else is the engine failing. */
function translate(error: unknown, sql: string): Error {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === CHECK_VIOLATION) return new DomainError('STATE_CHECK_FAILED', message);
  if (code && CONFLICT_CODES.has(code)) return new DomainError('STATE_CONFLICT', message);
  return new WarehouseError(`PostgreSQL failed (${sql.slice(0, 200)}): ${message}`, { cause: error });
}
