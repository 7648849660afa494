import type { Warehouse } from '../warehouse/index.ts';
import type { CompiledProject } from './compile-project.ts';
import { mergedByKey, renderModel } from './render-model.ts';

export type ModelStatus = 'success' | 'error' | 'skipped';

export interface ModelResult {
  model: string;
  status: ModelStatus;
  /** Why it failed, or which failed parent it was skipped for. */
  message: string;
  seconds: number;
  /** Rows in the relation after the run (views: not counted). */
  rows: number | null;
  sql: string;
}

export interface RunOptions {
  /** Models to run, in run order (see `selectModels`); all when absent. */
  models?: string[];
  /** Rebuild incremental models from scratch instead of adding to them. */
  fullRefresh?: boolean;
  /** Told before and after each model, for progress output. */
  onModel?: (event: { model: string; index: number; total: number; result?: ModelResult }) => void;
}

/**
 * Runs models in dependency order. A model that fails is reported with the
 * engine's message; everything downstream of it is skipped and reported too.
 * Materializations: `view`, `table`, and `incremental` (the first build and
 * `fullRefresh` build the table; later runs append the rows the model selects,
 * or merge them on `unique_key`). `ephemeral` is refused with a message until
 * the runner supports it.
 */
export async function runProject(warehouse: Warehouse, project: CompiledProject, options: RunOptions = {}): Promise<ModelResult[]> {
  const selected = options.models ?? project.order;
  const failed = new Map<string, string>();
  const results: ModelResult[] = [];
  for (const [index, name] of selected.entries()) {
    options.onModel?.({ model: name, index, total: selected.length });
    const result = await runModel(warehouse, project, name, failed, options.fullRefresh ?? false);
    if (result.status !== 'success') failed.set(name, result.status === 'error' ? name : result.message.replace(/^upstream /, ''));
    results.push(result);
    options.onModel?.({ model: name, index, total: selected.length, result });
  }
  return results;
}

async function runModel(
  warehouse: Warehouse,
  project: CompiledProject,
  name: string,
  failed: Map<string, string>,
  fullRefresh: boolean,
): Promise<ModelResult> {
  const model = project.models.get(name)!;
  const { materialized, uniqueKey } = model.config;
  const isIncremental = materialized === 'incremental' && !fullRefresh && (await warehouse.hasRelation(name));
  const sql = renderModel(model, { dialect: warehouse.dialect, project, isIncremental });
  const started = performance.now();
  const done = (status: ModelStatus, message: string, rows: number | null = null): ModelResult => ({
    model: name, status, message, rows, sql, seconds: (performance.now() - started) / 1000,
  });
  const brokenParent = project.parents.get(name)!.find((parent) => failed.has(parent));
  if (brokenParent) return done('skipped', `upstream ${failed.get(brokenParent)} failed`);
  if (materialized === 'ephemeral') {
    return done('error', 'materialized: ephemeral is not supported by this runner yet (view, table and incremental are)');
  }
  try {
    if (isIncremental) await warehouse.mergeInto(name, sql, uniqueKey);
    else await warehouse.materialize(name, materialized === 'view' ? 'view' : 'table', sql, uniqueKey);
    if (materialized === 'view') return done('success', 'view created');
    const relation = mergedByKey(model) ? warehouse.dialect.deduplicated(name) : name;
    const [count] = await warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM ${relation}`);
    return done('success', isIncremental ? (uniqueKey.length ? 'merged' : 'appended') : 'table built', count!.n);
  } catch (error) {
    return done('error', (error as Error).message);
  }
}
