import { platformTables } from '../compose/index.ts';
import { raw, SqlFragment, sql, type TenantScope } from '../../platform/tenancy/index.ts';

/** Where a page query runs: the warehouse, or the state store when it reads only operational tables. */
export type QueryStore = 'warehouse' | 'state';

export interface ScopedPageQuery {
  query: SqlFragment;
  store: QueryStore;
}

const STATE_TABLE_NAMES = new Set(platformTables().filter((table) => table.state).map((table) => table.name));
/** Words that may follow a table in FROM or JOIN without being its alias. */
const NOT_AN_ALIAS = new Set([
  'where', 'join', 'left', 'right', 'inner', 'outer', 'full', 'cross', 'on', 'using', 'group', 'order', 'limit', 'having', 'union',
  'except', 'intersect', 'window', 'final', 'sample', 'array', 'global', 'any', 'all', 'settings', 'format', 'prewhere', 'natural', 'asof',
]);
/**
 * What a query is made of, in order: a table read (`FROM t [AS] [alias]`, `JOIN t …`), another query of
 * the page (`${name}`), or the viewer's tenant as a value (`${tenant}`).
 */
const PARTS = /\b(FROM|JOIN)(\s+)([A-Za-z_][A-Za-z0-9_]*)(?:(\s+)(AS\s+)?([A-Za-z_][A-Za-z0-9_]*))?|\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/gi;

/**
 * A page query as it runs: every table it names is read through the viewer's `TenantScope`
 * (`scope.table(name)`), so the query sees that tenant's rows whatever its SQL says, and
 * chained queries (`FROM ${other}`) are scoped the same way. A comma join is refused (its
 * second table would be named without FROM or JOIN); a query that names both operational
 * tables (the ledger, approvals: the state store) and analytical ones cannot run on either
 * and is refused too. `kept`: queries whose rows this rendering already holds (`ScopedReads.keep`),
 * read from there instead of inlined again.
 */
export function scopePageQuery(
  name: string,
  queries: ReadonlyMap<string, string>,
  scope: Pick<TenantScope, 'table' | 'tenant'>,
  kept: ReadonlyMap<string, SqlFragment> = new Map(),
): ScopedPageQuery {
  const tables = new Set<string>();
  const query = scoped(name, queries, scope, tables, [], kept);
  const state = [...tables].filter((table) => STATE_TABLE_NAMES.has(table));
  if (state.length > 0 && state.length < tables.size) {
    throw new Error(`query ${name} reads operational state (${state.join(', ')}) and warehouse tables (${[...tables].filter((t) => !STATE_TABLE_NAMES.has(t)).join(', ')}) together; split it into one query for each`);
  }
  if (state.length === 0 && joinsInOneSelect(query.text) > 1) {
    // The warehouse may be ClickHouse 18 even where this page is tried on DuckDB; the state store is never ClickHouse.
    throw new Error(`query ${name} has two JOINs in one SELECT, which ClickHouse 18 does not run; join one subquery that groups the other rows per key`);
  }
  return { query, store: state.length > 0 ? 'state' : 'warehouse' };
}

/** The other queries of the page `text` reads (`${name}`; `${tenant}` is a value, not a query). */
export function queriesRead(text: string): string[] {
  return [...text.matchAll(/\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g)].map((match) => match[1]!).filter((name) => name !== 'tenant');
}

/** After a chained query: an optional alias, then a comma (a comma join). */
const COMMA_AFTER = /^\s*(?:(?:AS\s+)?[A-Za-z_][A-Za-z0-9_]*\s*)?,/i;

function commaJoin(query: string, relation: string): Error {
  return new Error(`query ${query} joins ${relation} with a comma: write JOIN … ON, so that every table it reads is scoped to the tenant`);
}

function scoped(
  name: string,
  queries: ReadonlyMap<string, string>,
  scope: Pick<TenantScope, 'table' | 'tenant'>,
  tables: Set<string>,
  chain: string[],
  kept: ReadonlyMap<string, SqlFragment>,
): SqlFragment {
  if (chain.includes(name)) throw new Error(`query ${chain[0]} chains itself: ${[...chain, name].join(' → ')}`);
  const text = queries.get(name)!;
  const parts: SqlFragment[] = [];
  let at = 0;
  for (const match of text.matchAll(PARTS)) {
    const [whole, keyword, space, table, aliasSpace, as, alias, reference] = match;
    parts.push(raw(text.slice(at, match.index)));
    at = match.index + whole.length;
    if (reference === 'tenant') {
      parts.push(sql`${scope.tenant}`);
    } else if (reference) {
      if (!queries.has(reference)) throw new Error(`query ${name} reads \${${reference}}, which is no query of this page`);
      if (COMMA_AFTER.test(text.slice(at))) throw commaJoin(name, `\${${reference}}`);
      const inlined = scoped(reference, queries, scope, tables, [...chain, name], kept);
      const held = kept.get(reference);
      parts.push(held ? sql`(SELECT * FROM ${held})` : sql`(${inlined})`);
    } else {
      const ownAlias = alias && (as || !NOT_AN_ALIAS.has(alias.toLowerCase())) ? alias : undefined;
      if (/^\s*,/.test(text.slice(ownAlias ? at : match.index + keyword!.length + space!.length + table!.length))) throw commaJoin(name, table!);
      tables.add(table!);
      parts.push(raw(`${keyword}${space}`), scope.table(table!, { as: ownAlias ?? table }));
      // A word after the table that is not its alias (WHERE, JOIN …) is kept as written.
      if (!ownAlias && alias) parts.push(raw(`${aliasSpace}${as ?? ''}${alias}`));
    }
  }
  parts.push(raw(text.slice(at)));
  return new SqlFragment(parts.map((p) => p.text).join(''), parts.flatMap((p) => p.params));
}

/** The most JOINs any one SELECT of `text` has (a subquery's are its own; a SELECT after UNION starts again). */
function joinsInOneSelect(text: string): number {
  const joins = [0];
  let most = 0;
  for (const [token] of text.matchAll(/\(|\)|\bSELECT\b|\bJOIN\b/gi)) {
    if (token === '(') joins.push(0);
    else if (token === ')') joins.pop();
    else if (token.toUpperCase() === 'SELECT') joins[joins.length - 1] = 0;
    else most = Math.max(most, ++joins[joins.length - 1]!);
  }
  return most;
}
