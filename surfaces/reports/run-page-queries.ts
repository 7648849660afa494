import { renderMacros } from '../../platform/transforms/index.ts';
import type { Row } from '../../kernel/warehouse/index.ts';
import { SqlFragment, sql } from '../../platform/tenancy/index.ts';
import { shownQueries } from './components.ts';
import type { ReportPage } from './page-file.ts';
import { queriesRead, scopePageQuery } from './page-query.ts';
import type { RenderContext } from './render-page.ts';

/**
 * A page's queries, each read through the context's tenant scope: the engines' share of a render.
 * A query that other queries of the page read (`FROM ${name}`) runs once where the engine can keep its
 * rows for the render (`ScopedReads.keep`, as Evidence keeps every query's result): the queries after it
 * read those rows instead of running it again as a subquery. Such a query that no component shows is a step
 * of the others, not a result of the page: its rows stay in the warehouse (no CSV). Results and problems come
 * in page order.
 */
export async function runQueries(page: ReportPage, context: Pick<RenderContext, 'scope' | 'stateScope'>): Promise<{ results: Map<string, Row[]>; problems: string[] }> {
  const read = new Set([...page.queries.values()].flatMap(queriesRead));
  const shown = shownQueries(page.body);
  const results = new Map<string, Row[]>();
  const problems = new Map<string, string>();
  await context.scope.readTogether(async (reads) => {
    const kept = new Map<string, SqlFragment>();
    for (const name of dependencyOrder(page.queries)) {
      try {
        const { query, store } = scopePageQuery(name, page.queries, context.scope, kept);
        const scope = store === 'state' ? context.stateScope : context.scope;
        if (!scope) throw new Error(`query ${name} reads operational state, which this rendering has no access to`);
        const rendered = new SqlFragment(renderMacros(query.text, scope.dialect), query.params);
        if (store === 'state') {
          results.set(name, await scope.query(rendered));
        } else if (read.has(name) && reads.keep) {
          const relation = await reads.keep(rendered);
          kept.set(name, relation);
          if (shown.has(name)) results.set(name, await reads.query(sql`SELECT * FROM ${relation}`));
        } else if (!read.has(name) || shown.has(name)) {
          results.set(name, await reads.query(rendered));
        }
      } catch (error) {
        problems.set(name, error instanceof Error && error.message.startsWith('query ') ? error.message : `query ${name} failed: ${(error as Error).message}`);
      }
    }
  });
  const inPageOrder = [...page.queries.keys()];
  return {
    results: new Map(inPageOrder.filter((name) => results.has(name)).map((name) => [name, results.get(name)!])),
    problems: inPageOrder.filter((name) => problems.has(name)).map((name) => problems.get(name)!),
  };
}

/** The page's queries, each after the queries it reads (a chain that loops is left to `scopePageQuery` to refuse). */
function dependencyOrder(queries: ReadonlyMap<string, string>): string[] {
  const order: string[] = [];
  const visited = new Set<string>();
  const visit = (name: string) => {
    if (visited.has(name) || !queries.has(name)) return;
    visited.add(name);
    for (const reference of queriesRead(queries.get(name)!)) visit(reference);
    order.push(name);
  };
  for (const name of queries.keys()) visit(name);
  return order;
}
