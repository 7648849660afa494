import type { CompiledProject } from './compile-project.ts';

/**
 * dbt's node selection over a compiled project: `name`, `name+` (and its
 * descendants), `+name` (and its ancestors), `tag:x` (also `+tag:x`, `tag:x+`); several selectors are a
 * union, `exclude` removes. No selector selects everything. Keeps run order.
 */
export function selectModels(project: CompiledProject, select: readonly string[], exclude: readonly string[] = []): string[] {
  const chosen = select.length ? union(project, select) : new Set(project.order);
  for (const name of union(project, exclude)) chosen.delete(name);
  return project.order.filter((name) => chosen.has(name));
}

/** A selector that names no model of the project. */
export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

function union(project: CompiledProject, selectors: readonly string[]): Set<string> {
  const result = new Set<string>();
  for (const selector of selectors) for (const name of resolve(project, selector)) result.add(name);
  return result;
}

function resolve(project: CompiledProject, selector: string): string[] {
  const upstream = selector.startsWith('+');
  const downstream = selector.endsWith('+');
  const base = selector.slice(upstream ? 1 : 0, downstream ? -1 : undefined);
  const names = base.startsWith('tag:')
    ? [...project.models.values()].filter((m) => m.config.tags.includes(base.slice(4))).map((m) => m.name)
    : [base];
  if (!base.startsWith('tag:') && !project.models.has(base)) throw new SelectorError(`selector "${selector}" names no model`);
  return names.flatMap((name) => [
    name,
    ...(upstream ? walk(project.parents, name) : []),
    ...(downstream ? walk(project.children, name) : []),
  ]);
}

function walk(edges: Map<string, string[]>, from: string): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    for (const next of edges.get(name) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      visit(next);
    }
  };
  visit(from);
  return [...seen];
}
