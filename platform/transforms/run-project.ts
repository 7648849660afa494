import type { Warehouse } from '../../kernel/warehouse/index.ts';
import type { CompiledProject } from './compile-project.ts';
import type { ModelFile } from './model-file.ts';
import { columnTestQueries, inlineParams } from './column-tests.ts';
import { mergedByKey, renderModel } from './render-model.ts';
import { nearestAncestors, runInOrder } from './run-in-order.ts';
import { ModelStamps, type StampVerdict } from './model-stamps.ts';
import { loadSeed } from './seeds/load-seed.ts';

/** Models run at once unless told otherwise: measured on the 10M-event benchmark (see platform/transforms/README.md). */
export const DEFAULT_THREADS = 4;
/** More would only queue on the warehouse's writer. */
export const MAX_THREADS = 16;

export type ModelStatus = 'success' | 'error' | 'skipped';
export type RunMode = 'build' | 'run' | 'test' | 'seed';

export interface TestResult {
  name: string;
  status: 'pass' | 'warn' | 'fail' | 'error';
  failures: number;
  message: string;
  /** The query that counted the failures, its parameters inlined (run_results' `compiled_code`). */
  sql: string;
}

export interface ModelResult {
  model: string;
  status: ModelStatus;
  /** Why it failed, or which failed parent it was skipped for. */
  message: string;
  /**
   * Left as it was, nothing run: its definition and what it reads are as the build that made it had them (`message`
   * names that build). dbt's `no-op`; no lineage run is recorded for it.
   */
  reused: boolean;
  seconds: number;
  /** Rows in the relation after the run (views: not counted). */
  rows: number | null;
  sql: string;
  /** Its column tests, run after it was built. */
  tests: TestResult[];
}

export interface RunOptions {
  /** Models to run, in run order (see `selectModels`); all when absent. */
  models?: string[];
  /** Rebuild incremental models from scratch instead of adding to them. */
  fullRefresh?: boolean;
  /**
   * dbt's commands: `build` loads seeds, builds models and tests each after
   * it is built; `run` builds without testing; `test` only tests what is
   * built; `seed` only loads seeds. Default `build`.
   */
  mode?: RunMode;
  /**
   * How many models run at once (dbt's `--threads`): a model starts once its parents are done. Writes still take
   * the warehouse's own turn (one writer on DuckDB); what overlaps is the rest — one model's tests, row count and
   * lineage beside another's build; on ClickHouse, whose writes do not take turns, everything. Default
   * `DEFAULT_THREADS`.
   */
  threads?: number;
  /**
   * Told before each model that runs, is tested or is skipped (not one left as it is: `ModelResult.reused`) and after
   * each model, for progress output and lineage. `index`: how many were told before it, or, told after, how many
   * finished before it (models side by side finish out of run order).
   */
  onModel?: (event: { model: string; index: number; total: number; result?: ModelResult }) => void | Promise<void>;
  /**
   * Called before each model writes; when it rejects, that model and every one not yet started are not built (an error
   * naming the reason, or skipped below one) and the models already running finish. The build lease's check: a build
   * whose lease passed to another process must not write beside that process's build.
   */
  guard?: () => Promise<void>;
  /**
   * Leaves a model as it is when its definition and what it reads are as a build of `tenant`'s last built it
   * (`ModelStamps`), and records what this build builds and tests under `runId`. Absent: every selected model is built.
   */
  stamps?: { tenant: string; runId: string };
  /** The tenant the build runs for (`{{ build_tenant() }}`, the platform operator's); the stamps' tenant unless told. */
  tenant?: string;
}

/**
 * Runs models in dependency order. A model that fails is reported with the
 * engine's message; everything downstream of it is skipped and reported too.
 * Materializations: `view`, `table`, and `incremental` (the first build and
 * `fullRefresh` build the table; later runs append the rows the model selects,
 * or merge them on `unique_key`); `ephemeral` models are not built but inlined
 * as subqueries where they are ref'd.
 */
export async function runProject(warehouse: Warehouse, project: CompiledProject, options: RunOptions = {}): Promise<ModelResult[]> {
  const mode = options.mode ?? 'build';
  const fullRefresh = options.fullRefresh ?? false;
  const selected = forMode(project, withBuiltWithReaders(project, options.models ?? project.order, mode), mode);
  const stamps = await loadStamps(warehouse, project, options, selected);
  // Whether each model's relation is there (and as what columns) is asked before any runs, in one catalog read: a model
  // is the only one that creates its relation, and it is looked up before it runs. A model left as it is must be there.
  const asked = selected.filter((name) => {
    const { materialized } = project.models.get(name)!.config;
    return mode === 'test' || (!fullRefresh && (materialized === 'incremental' || (stamps !== undefined && materialized !== 'ephemeral')));
  });
  // What a build killed mid-way left queued runs first: the catalog read, and each model's look for leftovers, see it.
  if (mode !== 'test') await warehouse.settleDdl?.();
  const found = await warehouse.columnsOf(asked);
  const states = new Map(asked.map((name) => [name, relationState(project.models.get(name)!, mode, found.get(name))]));
  const failed = new Map<string, string>();
  const results = new Map<string, ModelResult>();
  // A failure skips what runs after it through models left out of the selection too.
  const upstream = nearestAncestors(selected, (name) => project.parents.get(name)!);
  let started = 0;
  let finished = 0;
  let stopped: string | undefined;
  const guard = mode === 'test' || !options.guard ? undefined : async () => {
    if (stopped) throw new Error(stopped);
    try {
      await options.guard!();
    } catch (error) {
      stopped ??= `build stopped before this model: ${error instanceof Error ? error.message : String(error)}`;
      throw new Error(stopped, { cause: error });
    }
  };
  await runInOrder(selected, (name) => project.parents.get(name)!, options.threads ?? DEFAULT_THREADS, async (name) => {
    const begin = async () => {
      await options.onModel?.({ model: name, index: started++, total: selected.length });
    };
    const result = await runModel(warehouse, project, name, {
      failed, fullRefresh, mode, state: states.get(name) ?? 'missing', upstream: upstream(name), guard, stamps, begin, buildTenant: options.tenant ?? options.stamps?.tenant,
    });
    if (result.status !== 'success') failed.set(name, result.status === 'error' ? name : result.message.replace(/^upstream /, ''));
    results.set(name, result);
    await options.onModel?.({ model: name, index: finished++, total: selected.length, result });
  });
  // A build whose lease passed to another process records nothing: the other one's build decides.
  if (stamps && (await Promise.resolve(guard?.()).then(() => true, () => false))) await stamps.save();
  return selected.map((name) => results.get(name)!);
}

/** The stamps a build decides by (`RunOptions.stamps`); none for `test`, or when the build may not write. */
async function loadStamps(warehouse: Warehouse, project: CompiledProject, options: RunOptions, selected: readonly string[]): Promise<ModelStamps | undefined> {
  if (!options.stamps || options.mode === 'test') return undefined;
  try {
    await options.guard?.();
  } catch {
    // Each model reports why the build stopped.
    return undefined;
  }
  return ModelStamps.load(warehouse, project, { ...options.stamps, fullRefresh: options.fullRefresh ?? false, models: selected, buildTenant: options.tenant });
}


/** `names` and, unless only testing, the parents they read that are built with their readers, in run order. */
function withBuiltWithReaders(project: CompiledProject, names: readonly string[], mode: RunMode): readonly string[] {
  if (mode === 'test') return names;
  const wanted = new Set(names);
  for (const name of names) {
    for (const parent of project.parents.get(name) ?? []) if (project.models.get(parent)!.config.builtWithReaders) wanted.add(parent);
  }
  return wanted.size === names.length ? names : project.order.filter((name) => wanted.has(name));
}

/** The nodes a mode acts on: seeds only for `seed`, no seeds for `run`, neither seeds nor ephemerals for `test`. */
function forMode(project: CompiledProject, names: readonly string[], mode: RunMode): string[] {
  return names.filter((name) => {
    const { materialized } = project.models.get(name)!.config;
    if (mode === 'seed') return materialized === 'seed';
    if (mode === 'run') return materialized !== 'seed';
    if (mode === 'test') return materialized !== 'seed' && materialized !== 'ephemeral';
    return true;
  });
}

/** The model's relation when the run began: there, absent, or a table whose columns are not the ones the model now selects. */
type RelationState = 'present' | 'missing' | 'changed';

function relationState(model: ModelFile, mode: RunMode, columns: readonly { name: string }[] = []): RelationState {
  if (columns.length === 0) return 'missing';
  if (mode === 'test' || !model.outputColumns) return 'present';
  return columns.map((c) => c.name).join(',') === model.outputColumns.join(',') ? 'present' : 'changed';
}

interface ModelRun {
  /** Models that failed so far, and the failure each stands for. */
  failed: Map<string, string>;
  fullRefresh: boolean;
  mode: RunMode;
  /** Asked for incremental models, for every model when a build decides by stamps, and in `test` mode; 'missing' otherwise. */
  state: RelationState;
  /** Its nearest ancestors in the run. */
  upstream: ReadonlySet<string>;
  /** Asked before the model writes (`RunOptions.guard`). */
  guard?: () => Promise<void>;
  stamps?: ModelStamps;
  /** Told once the model is to be built, tested or skipped: not for a model left as it is. */
  begin: () => Promise<void>;
  buildTenant?: string;
}

async function runModel(warehouse: Warehouse, project: CompiledProject, name: string, run: ModelRun): Promise<ModelResult> {
  const result = await buildModel(warehouse, project, name, run);
  if (result.status !== 'success') run.stamps?.unknown(name);
  return result;
}

async function buildModel(warehouse: Warehouse, project: CompiledProject, name: string, { failed, fullRefresh, mode, state, upstream, guard, stamps, begin, buildTenant }: ModelRun): Promise<ModelResult> {
  const model = project.models.get(name)!;
  const { materialized, uniqueKey } = model.config;
  // A changed definition rebuilds the whole table: a merge would keep the old definition's rows where nothing arrived.
  const redefined = mode !== 'test' && !fullRefresh && state === 'present' && stamps?.definitionChanged(name) === true;
  const isIncremental = materialized === 'incremental' && !fullRefresh && state === 'present' && !redefined;
  const sql = renderModel(model, { dialect: warehouse.dialect, project, isIncremental, fullRefresh, buildTenant });
  let started = performance.now();
  const done = (status: ModelStatus, message: string, rows: number | null = null, tests: TestResult[] = [], reused = false): ModelResult => ({
    model: name, status, message, reused, rows, sql, tests, seconds: (performance.now() - started) / 1000,
  });
  const brokenParent = [...upstream].find((parent) => failed.has(parent));
  const verdict: StampVerdict = stamps && !fullRefresh && mode !== 'test' && !brokenParent && materialized !== 'ephemeral'
    ? stamps.verdict(name, state === 'present')
    : { kind: 'build' };
  if (verdict.kind === 'unchanged') {
    stamps!.kept(name, verdict.state);
    return done('success', `unchanged: its definition and what it reads are as build ${verdict.state.runId} read them`, materialized === 'view' ? null : verdict.state.rows, [], true);
  }
  await begin();
  // Its time is its own: what `begin` waited on (a lineage endpoint, progress output) is not.
  started = performance.now();
  if (brokenParent) return done('skipped', `upstream ${failed.get(brokenParent)} failed`);
  if (materialized === 'ephemeral') return done('success', 'ephemeral: inlined where it is ref\'d');
  // What a build tested is recorded (`seed` loads what has no tests).
  const record = mode === 'build' || mode === 'seed';
  try {
    await guard?.();
    if (model.seed) {
      const rows = await loadSeed(warehouse, name, model.seed);
      stamps?.built(name, undefined, rows, record);
      return done('success', 'seed loaded', rows);
    }
    if (mode === 'test' && state === 'missing') return done('error', 'not built yet: run `companyos build` or `companyos run` first');
    if (mode !== 'test' && isIncremental) await warehouse.mergeInto(name, sql, uniqueKey);
    else if (mode !== 'test' && verdict.kind !== 'view-in-place') await warehouse.materialize(name, materialized === 'view' ? 'view' : 'table', sql, uniqueKey);
    if (mode !== 'test') stamps?.wrote(name);
    const relation = (model: string) =>
      mergedByKey(project.models.get(model)!) ? warehouse.dialect.deduplicated(model) : model;
    // The tests and the row count read the built relation side by side (readers of their own on DuckDB).
    // A table's content is fingerprinted with its count when the build compares what it built (`ModelStamps`).
    const fingerprinted = stamps !== undefined && materialized === 'table' && mode !== 'test';
    const [tested, counted] = await Promise.allSettled([
      mode === 'run' ? [] : runTests(warehouse, project, name, relation),
      // Aliases no model column takes: ClickHouse 18 would read a column of the alias's name as the alias (an aggregate).
      materialized === 'view' ? null : warehouse.query<{ __model_rows: number; __model_content?: string }>(fingerprinted
        ? `SELECT count(*) AS __model_rows, ${warehouse.dialect.contentFingerprint('content_rows')} AS __model_content FROM (SELECT * FROM ${relation(name)}) AS content_rows`
        : `SELECT count(*) AS __model_rows FROM ${relation(name)}`).then(([row]) => row!),
    ]);
    if (counted.status === 'rejected') throw counted.reason;
    // runTests reports a failing query as a test result; it does not reject.
    const [tests, rows] = [tested.status === 'fulfilled' ? tested.value : [], counted.value === null ? null : Number(counted.value.__model_rows)];
    const failing = tests.filter((t) => t.status === 'fail' || t.status === 'error');
    if (failing.length === 0 && mode !== 'test') stamps?.built(name, counted.value?.__model_content, rows, record);
    const built =
      mode === 'test' ? 'tested'
      : verdict.kind === 'view-in-place' ? `view in place (its SQL is as built)${mode === 'run' ? '' : ', tested'}`
      : materialized === 'view' ? 'view created'
      : isIncremental ? (uniqueKey.length ? 'merged' : 'appended')
      : state === 'changed' ? 'table rebuilt: its columns changed since it was built'
      : redefined ? 'table rebuilt: its definition changed since it was built'
      : 'table built';
    const message = failing.length ? `${failing.length} test${failing.length > 1 ? 's' : ''} failed: ${failing.map((t) => t.message).join('; ')}` : built;
    return done(failing.length ? 'error' : 'success', message, rows, tests);
  } catch (error) {
    return done('error', (error as Error).message);
  }
}

async function runTests(
  warehouse: Warehouse,
  project: CompiledProject,
  name: string,
  relation: (model: string) => string,
): Promise<TestResult[]> {
  return Promise.all(columnTestQueries(project.models.get(name)!, relation).map(async (test): Promise<TestResult> => {
    const sql = inlineParams(test.sql, test.params);
    try {
      const [row] = await warehouse.query<{ failures: number }>(test.sql, test.params);
      const failures = Number(row?.failures ?? 0);
      const status = failures === 0 ? 'pass' : test.severity === 'warn' ? 'warn' : 'fail';
      return { name: test.name, status, failures, sql, message: `${test.name}: ${failures} failing row${failures === 1 ? '' : 's'}` };
    } catch (error) {
      return { name: test.name, status: 'error', failures: 0, sql, message: `${test.name}: ${(error as Error).message}` };
    }
  }));
}
