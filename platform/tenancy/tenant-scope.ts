import type { Dialect, Row, SqlValue, Warehouse } from '../../kernel/warehouse/index.ts';
import { assertIdentifier } from '../../kernel/warehouse/index.ts';

/** A piece of SQL with its `?` parameters, in order: what `sql` builds and `TenantScope.query` runs. */
export class SqlFragment {
  constructor(
    readonly text: string,
    readonly params: readonly SqlValue[],
  ) {}
}

/**
 * Builds a query: every interpolated value becomes a `?` parameter, except a
 * fragment (`sql`, `raw`, `TenantScope.table`), which is spliced in with its own.
 *
 *     sql`SELECT id FROM ${scope.table('events')} WHERE type = ${type}`
 *     // SELECT id FROM (SELECT * FROM events WHERE tenant_id = ?) AS events WHERE type = ?   ['acme', type]
 */
export function sql(strings: TemplateStringsArray, ...values: readonly (SqlValue | SqlFragment)[]): SqlFragment {
  let text = strings[0]!;
  const params: SqlValue[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value instanceof SqlFragment) {
      text += value.text;
      for (const param of value.params) params.push(param);
    } else {
      text += '?';
      params.push(value);
    }
    text += strings[i + 1]!;
  }
  return new SqlFragment(text, params);
}

/** SQL text written by the program, never by a caller (a dialect macro, a column list). */
export function raw(text: string): SqlFragment {
  return new SqlFragment(text, []);
}

/** Fragments joined by `separator` (`, `, ` AND `). */
export function join(fragments: readonly SqlFragment[], separator: string): SqlFragment {
  return new SqlFragment(fragments.map((f) => f.text).join(separator), fragments.flatMap((f) => f.params));
}

/** What a scope reads from: the warehouse, or the state store (`stateSource`). */
export type ScopeSource = Pick<Warehouse, 'dialect' | 'query' | 'hasRelation' | 'readSession'>;

/** Reads of one scope that may keep a query's rows for the reads after it (`TenantScope.readTogether`). */
export interface ScopedReads {
  query<T extends Row = Row>(query: SqlFragment): Promise<T[]>;
  /**
   * Keeps the rows `query` reads (built from this scope's tables: the tenant's rows only) as a relation that only
   * these reads see, to read instead of running it again; absent where the engine has no such relation.
   */
  keep?(query: SqlFragment): Promise<SqlFragment>;
}

/**
 * The one way routes, reports and pack services read tenant data: bound to a
 * tenant, it hands out each table as that tenant's rows only, so a query built
 * from `table()` cannot see another tenant's, whatever else it says.
 */
export class TenantScope {
  constructor(
    private readonly source: ScopeSource,
    readonly tenant: string,
  ) {}

  get dialect(): Dialect {
    return this.source.dialect;
  }

  /**
   * The tenant's rows of `name`, as a relation aliased to the table's own name.
   * `column`: the column that holds the tenant, when it is not `tenant_id` (an
   * invoice's issuer, a cost line's attributed tenant). `deduplicated`: read
   * through `dialect.deduplicated` (FINAL where the engine merges later).
   * `where`: more conditions applied inside, beside the tenant's (so an engine
   * that does not push predicates into a subquery still reads only what it needs).
   * `as: null`: no alias, where the SQL around it names the relation itself.
   */
  table(name: string, options: { column?: string; deduplicated?: boolean; as?: string | null; where?: SqlFragment } = {}): SqlFragment {
    assertIdentifier(name);
    const column = options.column ?? 'tenant_id';
    assertIdentifier(column);
    const alias = options.as === undefined ? name : options.as;
    if (alias !== null) assertIdentifier(alias);
    const source = options.deduplicated ? this.source.dialect.deduplicated(name) : name;
    const more = options.where ? ` AND ${options.where.text}` : '';
    return new SqlFragment(`(SELECT * FROM ${source} WHERE ${column} = ?${more})${alias === null ? '' : ` AS ${alias}`}`, [this.tenant, ...(options.where?.params ?? [])]);
  }

  query<T extends Row = Row>(query: SqlFragment): Promise<T[]> {
    return this.source.query<T>(query.text, query.params);
  }

  /** `work` with reads that can keep one query's rows for those after it (`ScopedReads.keep`), on one connection where the engine has them. */
  readTogether<T>(work: (reads: ScopedReads) => Promise<T>): Promise<T> {
    if (!this.source.readSession) return work({ query: (query) => this.query(query) });
    return this.source.readSession((session) => work({
      query: <R extends Row = Row>(query: SqlFragment) => session.query<R>(query.text, query.params),
      keep: async (query) => new SqlFragment(await session.keep(query.text, query.params), []),
    }));
  }

  /** Whether a relation exists (a model built yet): no tenant data is read. */
  hasRelation(name: string): Promise<boolean> {
    return this.source.hasRelation(name);
  }
}
