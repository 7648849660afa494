import type { DuckDBConnection, DuckDBMaterializedResult, DuckDBPreparedStatement } from '@duckdb/node-api';
import { rowsOf, toDuckDBParam, type Row, type SqlValue } from '../warehouse/index.ts';

/** Prepared statements kept per connection; the oldest is dropped past this. */
const STATEMENTS_PER_CONNECTION = 256;

/**
 * A connection that keeps what it prepared. DuckDB parses, binds and plans a statement on
 * the caller's thread — for the state store that is Node's main thread, and it cost more
 * than the statement's execution — so a statement is prepared once per connection and
 * then only bound and run.
 */
export class CachedConnection {
  private readonly statements = new Map<string, DuckDBPreparedStatement>();

  constructor(readonly connection: DuckDBConnection) {}

  /** A statement without parameters (BEGIN, COMMIT, ROLLBACK). */
  async runPlain(sql: string): Promise<void> {
    await (await this.prepared(sql)).run();
  }

  /** Statements without parameters, separated by semicolons, in one round trip; not kept. */
  async runScript(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  async run(sql: string, params: readonly SqlValue[]): Promise<DuckDBMaterializedResult> {
    const statement = await this.prepared(sql);
    statement.clearBindings();
    if (params.length > 0) statement.bind(params.map(toDuckDBParam));
    return statement.run();
  }

  /**
   * A statement that answers rows. Kept prepared only when `reuse` says its plan cannot go stale:
   * DuckDB plans with the tables' statistics, and a kept plan of a query with a constant filter
   * (`status = 'active'` asked while no row is active) keeps answering nothing after rows arrive —
   * so reads are planned afresh, and only writes whose every value is a parameter are kept.
   */
  async read<T extends Row>(sql: string, params: readonly SqlValue[], reuse = false): Promise<T[]> {
    // Statements separated by semicolons, without parameters (the state schema), go as one script whose last statement answers;
    // anything else is prepared (the script path extracts statements on every call: slower for one).
    const script = params.length === 0 && sql.includes(';');
    if (!reuse) return rowsOf<T>(await this.connection.runAndReadAll(sql, script ? undefined : params.map(toDuckDBParam)));
    const statement = await this.prepared(sql);
    statement.clearBindings();
    if (params.length > 0) statement.bind(params.map(toDuckDBParam));
    return rowsOf<T>(await statement.runAndReadAll());
  }

  close(): void {
    this.statements.clear();
    this.connection.closeSync();
  }

  private async prepared(sql: string): Promise<DuckDBPreparedStatement> {
    const cached = this.statements.get(sql);
    if (cached) {
      // Most recently used last: the first key is the one to drop.
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const statement = await this.connection.prepare(sql);
    this.statements.set(sql, statement);
    if (this.statements.size > STATEMENTS_PER_CONNECTION) {
      const [oldest, dropped] = this.statements.entries().next().value!;
      this.statements.delete(oldest);
      dropped.destroySync();
    }
    return statement;
  }
}

/**
 * At most `size` connections, kept open (a connection's prepared statements are its value);
 * callers beyond that wait, first come first served.
 */
export class ConnectionPool {
  private readonly idle: CachedConnection[] = [];
  private readonly all = new Set<CachedConnection>();
  private readonly waiting: ((connection: CachedConnection) => void)[] = [];
  private opening = 0;

  constructor(
    private readonly connect: () => Promise<DuckDBConnection>,
    private readonly size: number,
  ) {}

  async acquire(): Promise<CachedConnection> {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.all.size + this.opening >= this.size) return new Promise((resolve) => this.waiting.push(resolve));
    this.opening++;
    try {
      const connection = new CachedConnection(await this.connect());
      this.all.add(connection);
      return connection;
    } finally {
      this.opening--;
    }
  }

  release(connection: CachedConnection): void {
    const next = this.waiting.shift();
    if (next) next(connection);
    else this.idle.push(connection);
  }

  /** Closes every connection; the caller has let its work finish first. */
  close(): void {
    for (const connection of this.all) connection.close();
    this.all.clear();
    this.idle.length = 0;
  }
}
