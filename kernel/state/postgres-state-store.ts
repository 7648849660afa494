import type pg from 'pg';
import { DomainError } from '../errors/index.ts';
import { WarehouseError, assertIdentifier, type ReclaimReport, type Row, type SqlValue, type TableDefinition } from '../warehouse/index.ts';
import { postgresType } from './postgres-sql.ts';
import { StatementNames } from './postgres-statement-names.ts';
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
  /** Sequences known to have their row in `state_sequences` (rows are never deleted): numbered in the COMMIT's own write. */
  private readonly sequences = new Set<string>();
  private readonly names = new StatementNames();
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
    // Pipelined: a transaction's statements that need no answer in between go in one write (see `PipelinedSession`).
    const pool = new driver.Pool({ connectionString: url, max: POOL_SIZE, types: typesOf(driver), pipeline: true });
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
    return run<T>(this.pool, this.names, sql, params);
  }

  async snapshot<T>(work: (reader: StateReader) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.onConnection(async (client) => {
      const session = new PipelinedSession(client, this.names, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await work(session);
      } finally {
        await session.end();
      }
    });
  }

  async transaction<T>(work: (tx: StateTransaction) => Promise<T>): Promise<T> {
    this.assertOpen();
    // Run again, once, numbering the slow way, when a sequence this process had seen turned out to have no row.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.onConnection(async (client) => {
          const tx = new PostgresTransaction(client, this.names, this.byName, this.sequences, { numberInCommit: attempt === 1 });
          try {
            const result = await work(tx);
            await tx.commit();
            tx.committed();
            return result;
          } catch (error) {
            await tx.end();
            throw error;
          }
        });
      } catch (error) {
        if (!(error instanceof SequenceWithoutRow)) throw error;
        if (attempt > 1) throw new DomainError('STATE_CONFLICT', error.message);
      }
    }
  }

  /**
   * `use` on a connection of the pool. While it is out, the pool listens for none of its errors: a connection the
   * server ends (a restart, a failover) would throw its error at the process. It is listened to here, and a connection
   * that failed is given back to be closed, not reused.
   */
  private async onConnection<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const failed = (error: Error) => (broken = error);
    client.on('error', failed);
    try {
      return await use(client);
    } finally {
      client.off('error', failed);
      client.release(broken);
    }
  }

  /** `VACUUM FULL` rewrites each table without the rows deleted or replaced (an erasure). */
  async reclaim(tables: readonly string[]): Promise<ReclaimReport> {
    this.assertOpen();
    const started = performance.now();
    const own = tables.filter((table) => this.byName.has(table));
    for (const table of own) await run(this.pool, this.names, `VACUUM FULL ${assertIdentifier(table)}`);
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

/** A statement and its `?` parameters. */
interface Statement {
  sql: string;
  params: readonly SqlValue[];
}

/** A sequence this process had numbered by has no row: the transaction is run again, numbering it the slow way. */
class SequenceWithoutRow extends Error {}

/**
 * Statements on one connection of a pipelined pool, in the order asked. The opening statement (BEGIN) goes in the
 * same write as the first statement, and whatever the subclass holds (inserts no one waits on) goes ahead of the
 * next statement that needs an answer: PostgreSQL runs them one after another and the main thread pays one write
 * and one read for all of them instead of a round trip each (node-postgres would otherwise send one statement at a time).
 */
class PipelinedSession implements StateReader {
  private last: Promise<unknown> = Promise.resolve();
  /** Whether the opening statement has gone. */
  protected opened = false;
  /** The first statement that failed: PostgreSQL ends the transaction there (and answers COMMIT with ROLLBACK). */
  protected failure: Error | undefined;

  /** Set once the session commits or ends: its connection goes back to the pool, and nothing more may go on it. */
  protected finished = false;

  constructor(protected readonly client: pg.PoolClient, private readonly names: StatementNames, private readonly opening: string) {}

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const results = await this.send([{ sql, params }]);
    return rowsOf<T>(results.at(-1));
  }

  /** Ends what the opening began, if it went: ROLLBACK (whatever a failure left). */
  async end(): Promise<void> {
    await this.settled();
    this.finished = true;
    if (this.opened) await pipelined(this.client, this.names, [{ sql: 'ROLLBACK', params: [] }]).catch(() => undefined);
  }

  /** Once every statement asked for so far has been answered (a statement the work did not wait for included). */
  protected async settled(): Promise<void> {
    await this.last.catch(() => undefined);
  }

  /** What is held (`takeHeld`) and then `statements`, after what is under way, in one write: the results of `statements`. */
  protected send(statements: readonly Statement[], { last = false } = {}): Promise<pg.QueryResult[]> {
    if (this.finished) return Promise.reject(new WarehouseError('the transaction has ended: no statement may run on it'));
    if (last) this.finished = true;
    const next = this.last.catch(() => undefined).then(async () => {
      const ahead = [...(this.opened ? [] : [{ sql: this.opening, params: [] }]), ...this.takeHeld()];
      this.opened = true;
      try {
        return (await pipelined(this.client, this.names, [...ahead, ...statements])).slice(ahead.length);
      } catch (error) {
        this.failure ??= error as Error;
        throw error;
      }
    });
    this.last = next;
    return next;
  }

  /** Statements held for the next write; none here. */
  protected takeHeld(): Statement[] {
    return [];
  }
}

/**
 * Inserts are held until the transaction needs an answer or commits, as on the embedded store: a failure of one
 * (a taken key) fails the transaction there. Numbered inserts are held to the COMMIT and go in its write.
 */
class PostgresTransaction extends PipelinedSession implements StateTransaction {
  private readonly numberedInserts: NumberedInsertHeld[] = [];
  private readonly callbacks: (() => void)[] = [];
  private held: Statement[] = [];
  /** Sequences given a row by this transaction: known to have one once it commits. */
  private readonly sequencesMade: string[] = [];

  constructor(
    client: pg.PoolClient,
    names: StatementNames,
    private readonly byName: ReadonlyMap<string, TableDefinition>,
    /** Sequences known to have their row (the store's, shared by its transactions). */
    private readonly sequences: Set<string>,
    /** Whether numbered inserts of known sequences may go with the COMMIT (not when running again after one had no row). */
    private readonly options: { numberInCommit: boolean },
  ) {
    super(client, names, 'BEGIN');
  }

  /**
   * Held to the COMMIT, so the sequence's row lock (taken by the UPDATE that numbers them) is held only for
   * the commit itself: see `commit`.
   */
  async insertNumbered(table: string, rows: readonly StateRow[], numbering: Numbering, numbered: (first: number) => void): Promise<void> {
    this.stateTable(table);
    if (rows.length > 0) this.numberedInserts.push({ table, rows, numbering, numbered });
  }

  /**
   * Writes what is held and COMMITs, in one write when every sequence numbered by is known to have its row. Each
   * sequence's rows are numbered by one statement: an UPDATE of its row in `state_sequences` (its lock, held to COMMIT
   * or ROLLBACK whichever process holds it; a waiter then reads the committed value) hands its numbers to the INSERT.
   * Sequences are taken in key order, so two transactions never wait for each other. A transaction one of whose
   * statements failed is not committed, even when its work caught the failure: it fails with it.
   */
  async commit(): Promise<void> {
    await this.settled();
    if (this.failure) throw this.failure;
    const pending = this.numberedInserts.splice(0).sort((a, b) => (a.numbering.sequence < b.numbering.sequence ? -1 : a.numbering.sequence > b.numbering.sequence ? 1 : 0));
    const inCommit = this.options.numberInCommit && pending.every((insert) => this.sequences.has(insert.numbering.sequence));
    if (!inCommit) for (const insert of pending) await this.numberAlone(insert);
    const numbered = inCommit ? pending : [];
    // Nothing was sent and nothing is to be: there is nothing to commit.
    if (!this.opened && this.held.length === 0 && numbered.length === 0) {
      this.finished = true;
      return;
    }
    const strict = numbered.map((insert) => this.numberedStatement(insert, true));
    let results: pg.QueryResult[];
    try {
      results = await this.send([...strict, { sql: 'COMMIT', params: [] }], { last: true });
    } catch (error) {
      const missing = numbered.find((_, i) => failedStatement.get(error as Error) === strict[i] && isDivisionByZero(error));
      if (missing) {
        this.sequences.delete(missing.numbering.sequence);
        throw new SequenceWithoutRow(`the sequence ${missing.numbering.sequence} has no row`, { cause: error });
      }
      throw error;
    }
    if (results.at(-1)?.command !== 'COMMIT') throw new WarehouseError('PostgreSQL rolled the transaction back at COMMIT (a statement of it had failed)');
    numbered.forEach((insert, i) => {
      const first = Math.min(...rowsOf<{ n: number }>(results[i]).map((row) => Number(row.n)));
      this.afterCommit(() => insert.numbered(first));
    });
  }

  /** Numbered in a statement of its own, the sequence's row made first (its head read from the log) when it has none. */
  private async numberAlone(insert: NumberedInsertHeld): Promise<void> {
    const numberedFirst = async () => {
      const inserted = await this.query<{ n: number }>(...statementArgs(this.numberedStatement(insert, false)));
      return inserted.length === 0 ? undefined : Math.min(...inserted.map((row) => Number(row.n)));
    };
    let first = await numberedFirst();
    if (first === undefined) {
      await this.query('INSERT INTO state_sequences (sequence_key, next_value) VALUES (?, ?) ON CONFLICT DO NOTHING', [insert.numbering.sequence, await insert.numbering.head(this)]);
      first = await numberedFirst();
    }
    if (first === undefined) throw new WarehouseError(`the sequence ${insert.numbering.sequence} could not be created`);
    this.sequencesMade.push(insert.numbering.sequence);
    const at = first;
    this.afterCommit(() => insert.numbered(at));
  }

  /**
   * The numbered insert. `strict`: a sequence without a row fails it, dividing by the count of numbers handed out (so
   * the COMMIT after it rolls back); otherwise it inserts nothing, for the caller to make the row.
   */
  private numberedStatement({ table, rows, numbering }: NumberedInsertHeld, strict: boolean): Statement {
    const definition = this.stateTable(table);
    const types = new Map(definition.columns.map((column) => [column.name, postgresType(column.type)]));
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((column) => column !== numbering.column);
    for (const column of columns) if (!types.has(column)) throw new Error(`${table} has no column ${column}`);
    const values = rows.map(() => `(${['CAST(? AS INTEGER)', ...columns.map((column) => `CAST(? AS ${types.get(column)!})`)].join(', ')})`).join(', ');
    const first = strict ? '(SELECT first FROM numbers) + 0 / (SELECT count(*) FROM numbers)' : 'numbers.first';
    const sql = `WITH numbers AS (UPDATE state_sequences SET next_value = next_value + ? WHERE sequence_key = ? RETURNING next_value - ? AS first)
      INSERT INTO ${table} (${assertIdentifier(numbering.column)}, ${columns.join(', ')})
      SELECT ${first} + v.i, ${columns.map((column) => `v.${column}`).join(', ')} FROM ${strict ? '' : 'numbers, '}(VALUES ${values}) AS v(i, ${columns.join(', ')})
      RETURNING ${numbering.column} AS n`;
    const params = [rows.length, numbering.sequence, rows.length, ...rows.flatMap((row, i) => [i, ...columns.map((column) => row[column] ?? null)])];
    return { sql, params };
  }

  afterCommit(callback: () => void): void {
    this.callbacks.push(callback);
  }

  /** Called once COMMIT returned. */
  committed(): void {
    for (const sequence of this.sequencesMade) this.sequences.add(sequence);
    for (const callback of this.callbacks) callback();
  }

  async insert(table: string, rows: readonly StateRow[]): Promise<void> {
    this.held.push(...this.insertStatements(table, rows, ''));
  }

  async insertNew(table: string, rows: readonly StateRow[]): Promise<number> {
    const statements = this.insertStatements(table, rows, ' ON CONFLICT DO NOTHING');
    if (statements.length === 0) return 0;
    const results = await this.send(statements);
    return results.reduce((sum, result) => sum + (result.rowCount ?? 0), 0);
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

  protected override takeHeld(): Statement[] {
    return this.held.splice(0);
  }

  /** Multi-row INSERTs of the table's columns in the order the rows name them, checked here, before anything is sent. */
  private insertStatements(table: string, rows: readonly StateRow[], suffix: string): Statement[] {
    const definition = this.stateTable(table);
    if (rows.length === 0) return [];
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
    const statements: Statement[] = [];
    for (let at = 0; at < rows.length; at += perStatement) {
      const chunk = rows.slice(at, at + perStatement);
      const values = chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
      statements.push({ sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}${suffix}`, params: chunk.flatMap((row) => columns.map((column) => row[column] ?? null)) });
    }
    return statements;
  }

  private stateTable(table: string): TableDefinition {
    const definition = this.byName.get(table);
    if (!definition) throw new WarehouseError(`${table} is not operational state: write it to the warehouse`);
    return definition;
  }
}

const statementArgs = ({ sql, params }: Statement): [string, readonly SqlValue[]] => [sql, params];

/** A result's rows; of several statements in one text (each answered), the last one's. */
const rowsOf = <T extends Row>(result: pg.QueryResult | pg.QueryResult[] | undefined): T[] => ((Array.isArray(result) ? result.at(-1) : result)?.rows ?? []) as T[];

/** Whether `error` is PostgreSQL's division by zero (a strict numbered insert's sequence without a row). */
function isDivisionByZero(error: unknown): boolean {
  return (error as { cause?: { code?: string } }).cause?.code === '22012';
}

/** Which statement of a batch an error `pipelined` threw is the failure of. */
const failedStatement = new WeakMap<Error, Statement>();

/**
 * `statements` in one write to the server (the stream corked while the pipelined client queues them), each still
 * answered on its own: the results in order, or the first failure (those after it in a transaction fail or roll back with it).
 */
async function pipelined(client: pg.PoolClient, names: StatementNames, statements: readonly Statement[]): Promise<pg.QueryResult[]> {
  const { stream } = client.connection;
  stream.cork();
  let sent: Promise<pg.QueryResult>[];
  try {
    sent = statements.map(({ sql, params }) => client.query(names.config(sql, params)));
  } finally {
    stream.uncork();
  }
  const settled = await Promise.allSettled(sent);
  const failed = settled.findIndex((outcome) => outcome.status === 'rejected');
  if (failed >= 0) {
    const reason = (settled[failed] as PromiseRejectedResult).reason;
    names.forget(reason, statements[failed]!.sql);
    const error = translate(reason, statements[failed]!.sql);
    failedStatement.set(error, statements[failed]!);
    throw error;
  }
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<pg.QueryResult>).value);
}

async function run<T extends Row = Row>(client: pg.Pool | pg.PoolClient, names: StatementNames, sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
  try {
    const result = await client.query(names.config(sql, params));
    // Several statements in one text answer one result each.
    const last = Array.isArray(result) ? result.at(-1) : result;
    return ((last?.rows ?? []) as T[]);
  } catch (error) {
    names.forget(error, sql);
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
