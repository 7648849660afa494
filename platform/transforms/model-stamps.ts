import { createHash } from 'node:crypto';
import { timeOrderedId } from '../../kernel/ids/index.ts';
import { columnNames, type Warehouse } from '../../kernel/warehouse/index.ts';
import { sql, TenantScope } from '../tenancy/index.ts';
import type { CompiledProject } from './compile-project.ts';
import type { ModelFile } from './model-file.ts';
import { renderModel } from './render-model.ts';

/** Changed when how a model is built or tested changes in a way its definition does not show: every recorded state then stops holding. */
const STAMP_FORMAT = 'model-stamps/1';

/** What a build recorded of a model it built and tested. */
export interface ModelState {
  /** Digest of the model's definition and of the stamps of what it read; for a view, '?' when one had no stamp. */
  inputs: string;
  /** What its children fold in: a table's content fingerprint, an incremental model's build; a view's definition. */
  content: string;
  rows: number;
  runId: string;
}

/**
 * What made an incremental model's rows, as its latest record has it (`rowsDefinition` digests):
 * - its state: `merged:<run>:<digest>`, the build that last merged into it;
 * - the forget a build writes before it builds: `forgotten:<digest>[,<digest>]`, what made the rows and what this
 *   build may write them with, so that a build killed mid-way leaves the next one knowing the rows may be either;
 * - the forget a build writes for a model it wrote without recording a state (`run`, failed tests): `forgotten:<digest>`.
 * Another record of a model now incremental (a table's fingerprint, a view's definition) says it was built as something
 * else (`OTHER_ROWS`). A forget without digests (a write outside a build, or older records) says nothing.
 */
const MERGED = /^merged:[^:]+:([0-9a-f]{64})$/;
const FORGOTTEN = /^forgotten:([0-9a-f]{64}(?:,[0-9a-f]{64})*)$/;
const LEGACY_MERGED = /^merged:[^:]+$/;
/** The digest that stands for rows made as something other than an incremental model: no definition has it. */
const OTHER_ROWS = '0'.repeat(64);

/** What a build does with a model, as its stamps have it. */
export type StampVerdict =
  | { kind: 'unchanged'; state: ModelState }
  /** A view whose SQL is as built: not made again, but tested (what it reads changed, or has no stamp). */
  | { kind: 'view-in-place' }
  | { kind: 'build' };

const COLUMNS = columnNames('model_states');
const UNKNOWN_INPUTS = '?';

/**
 * Whether a model may be left as it is: when its definition (its SQL as this engine runs it, its tests, how it is
 * stored) and everything it reads are as they were when a build last built and tested it. What it reads is stamped:
 * - a raw source by the warehouse's change token (`Warehouse.changeTokens`; none on DuckDB, where whatever reads a raw
 *   table is always rebuilt);
 * - a table or seed by the fingerprint of its content after it was built, so a table rebuilt the same stops the
 *   rebuild of what reads it;
 * - an incremental model by the build that last merged into it (a merge is not compared);
 * - a view or ephemeral model by its SQL and the stamps of what it reads.
 * A model whose SQL reads the clock or chance, or a table it does not name as a ref or source, is always rebuilt.
 * A build forgets the states of the models it selected before it writes any (one write), and records again those it
 * left and those it built and tested (`record`) at its end (one write): a model written by a build that failed,
 * stopped, was killed or did not test it has no state, and is built again by the next. What made an incremental
 * model's rows outlives its state (`MERGED`): a forget keeps it, and so does what `save` writes for an incremental
 * model written without a state.
 */
export class ModelStamps {
  /** Stamps settled in this build: built, left as they were, or unknown (failed or skipped). */
  private readonly settled = new Map<string, string | undefined>();
  private readonly derived = new Map<string, string | undefined>();
  private readonly definitions = new Map<string, string>();
  private readonly pending: [string, ModelState][] = [];
  /** Incremental models this build wrote (`wrote`). */
  private readonly written = new Set<string>();

  private constructor(
    private readonly warehouse: Warehouse,
    private readonly project: CompiledProject,
    private readonly tenant: string,
    readonly runId: string,
    private readonly recorded: Map<string, ModelState>,
    /** The rows definitions that may have made each model's rows, where its latest record says (`MERGED`). */
    private readonly builtAs: Map<string, readonly string[]>,
    private readonly tokens: Map<string, string>,
    private readonly ids: RecordIds,
    /** The tenant the build renders its models for (`{{ build_tenant() }}`): what a definition is digested as. */
    private readonly buildTenant: string,
  ) {}

  /**
   * The recorded states and the raw sources' tokens, read once before anything is built; then the states of `models`
   * are forgotten in storage (kept here to decide by; a full refresh decides without them).
   */
  static async load(warehouse: Warehouse, project: CompiledProject, options: { tenant: string; runId: string; fullRefresh: boolean; models: readonly string[]; buildTenant?: string }): Promise<ModelStamps> {
    const { tenant, runId, fullRefresh, models } = options;
    const tables = [...new Set([...project.models.values()].flatMap((model) => model.sources.map(([, table]) => table)))];
    const [{ states, builtAs, latest }, tokens] = await Promise.all([
      readStates(warehouse, tenant),
      warehouse.changeTokens ? warehouse.changeTokens(tables) : new Map<string, string>(),
    ]);
    const ids = new RecordIds(latest);
    const stamps = new ModelStamps(warehouse, project, tenant, runId, states, builtAs, tokens, ids, options.buildTenant ?? tenant);
    const selected = models.filter((name) => states.has(name) || project.models.get(name)!.config.materialized !== 'ephemeral');
    await writeForgotten(warehouse, tenant, runId, selected.map((name) => [name, stamps.mayWrite(name)]), ids);
    if (fullRefresh) for (const name of models) states.delete(name);
    return stamps;
  }

  /** Whether `name` is left as it is, only its view's tests run, or built. `present`: its relation is there as built. */
  verdict(name: string, present: boolean): StampVerdict {
    const state = this.recorded.get(name);
    if (!state || !present) return { kind: 'build' };
    const inputs = this.inputsOf(name);
    if (inputs !== undefined && state.inputs === inputs) return { kind: 'unchanged', state };
    return isView(this.model(name)) && state.content === this.definition(name) ? { kind: 'view-in-place' } : { kind: 'build' };
  }

  /**
   * Whether an incremental model must be built whole: how its rows are computed changed since a build last made them
   * (its SQL, key or columns as this engine runs them; not its tests). Merging would leave the rows no arrival touches
   * as the old definition made them.
   */
  definitionChanged(name: string): boolean {
    const before = this.builtAs.get(name);
    return before !== undefined && this.isIncremental(name) && before.some((digest) => digest !== this.rowsDefinition(name));
  }

  /** `name` (an incremental model) was written by this build: recorded as made by its definition even when no state is. */
  wrote(name: string): void {
    if (this.isIncremental(name)) this.written.add(name);
  }

  isIncremental(name: string): boolean {
    return this.model(name).config.materialized === 'incremental';
  }

  /**
   * What a build's forget keeps of `name`: what may have made its rows, and what this build may write them with; for a
   * table or view, that it was made as one (should it become incremental, the next build builds it whole).
   */
  mayWrite(name: string): string {
    const { materialized } = this.model(name).config;
    if (materialized === 'incremental') return `forgotten:${[...new Set([...(this.builtAs.get(name) ?? []), this.rowsDefinition(name)])].join(',')}`;
    return materialized === 'ephemeral' ? '' : `forgotten:${OTHER_ROWS}`;
  }

  /** `name` left as it was in `state`: recorded again at the end. */
  kept(name: string, state: ModelState): void {
    this.settled.set(name, isView(this.model(name)) ? this.viewStamp(name) : state.content);
    this.pending.push([name, state]);
  }

  /**
   * `name` built (or a view tested in place) in this build, its tests passed; `fingerprint` its content's (tables).
   * What reads it folds in what it now holds even when what it read had no stamp; its state is recorded when `record`
   * (a build that tested it).
   */
  built(name: string, fingerprint: string | undefined, rows: number | null, record: boolean): void {
    const model = this.model(name);
    const view = isView(model);
    // A seed's rows, and a view's SQL, are their definitions.
    const content = view || model.seed ? this.definition(name) : model.config.materialized === 'incremental' ? `merged:${this.runId}:${this.rowsDefinition(name)}` : fingerprint;
    this.settled.set(name, view ? this.viewStamp(name) : content);
    // An incremental model is recorded with unknown inputs too (DuckDB gives raw tables no change token): what made its rows must be known.
    const inputs = view || model.config.materialized === 'incremental' ? (this.inputsOf(name) ?? UNKNOWN_INPUTS) : this.inputsOf(name);
    if (record && content !== undefined && inputs !== undefined) this.pending.push([name, { inputs, content, rows: rows ?? 0, runId: this.runId }]);
  }

  /** `name` not built (failed, or skipped below a failure): what reads it is rebuilt. */
  unknown(name: string): void {
    this.settled.set(name, undefined);
  }

  /** Records the states of what this build left or built and tested, in one write. */
  async save(): Promise<void> {
    const recorded = new Set(this.pending.map(([model]) => model));
    // Written without a state (`run`, failed tests): what made the rows is still known.
    const unrecorded = [...this.written].filter((model) => !recorded.has(model)).map((model): [string, string] => [model, `forgotten:${this.rowsDefinition(model)}`]);
    if (this.pending.length === 0 && unrecorded.length === 0) return;
    const at = new Date();
    const rows = [
      ...this.pending.splice(0).map(([model, s]) => [this.tenant, model, this.ids.next(), s.runId, s.inputs, s.content, s.rows, at]),
      ...unrecorded.map(([model, content]) => [this.tenant, model, this.ids.next(), this.runId, '', content, 0, at]),
    ];
    this.written.clear();
    await this.warehouse.insert('model_states', COLUMNS, rows);
  }

  /** A digest of the model's definition and of the stamps of its parents and sources; undefined when one is unknown or it is volatile. */
  private inputsOf(name: string): string | undefined {
    return isView(this.model(name)) ? this.viewStamp(name) : this.digestOf(name);
  }

  /** The stamp what reads `name` folds in. */
  private stampOf(name: string): string | undefined {
    if (this.settled.has(name)) return this.settled.get(name);
    const state = this.recorded.get(name);
    if (isView(this.model(name))) {
      // A view not made in this build reads as the one in the warehouse: its stamp holds only if that is this SQL.
      return this.model(name).config.materialized === 'ephemeral' || state?.content === this.definition(name) ? this.viewStamp(name) : undefined;
    }
    return state?.content;
  }

  private viewStamp(name: string): string | undefined {
    if (!this.derived.has(name)) this.derived.set(name, this.digestOf(name));
    return this.derived.get(name);
  }

  private digestOf(name: string): string | undefined {
    const model = this.model(name);
    if (volatile(model, this.rendered(model))) return undefined;
    const hash = createHash('sha256').update(this.definition(name));
    for (const parent of [...(this.project.parents.get(name) ?? [])].sort()) {
      const stamp = this.stampOf(parent);
      if (stamp === undefined) return undefined;
      hash.update(`\0ref ${parent}=${stamp}`);
    }
    for (const [source, table] of [...model.sources].sort()) {
      const token = this.tokens.get(table);
      if (token === undefined) return undefined;
      hash.update(`\0source ${source}.${table}=${token}`);
    }
    return hash.digest('hex');
  }

  /** The model as the engine would run it, each way it can be rendered, with its tests and how it is stored. */
  private definition(name: string): string {
    let definition = this.definitions.get(name);
    if (definition === undefined) {
      const model = this.model(name);
      const { materialized, uniqueKey, columns } = model.config;
      definition = createHash('sha256')
        .update(JSON.stringify([STAMP_FORMAT, this.warehouse.engine, materialized, uniqueKey, columns, model.outputColumns ?? null, model.seed ?? null, this.rendered(model)]))
        .digest('hex');
      this.definitions.set(name, definition);
    }
    return definition;
  }

  /** How the model's rows are computed: its SQL as this engine runs it each way, its key and its columns. */
  private rowsDefinition(name: string): string {
    const model = this.model(name);
    return createHash('sha256')
      .update(JSON.stringify([STAMP_FORMAT, this.warehouse.engine, model.config.materialized, model.config.uniqueKey, model.outputColumns ?? null, this.rendered(model)]))
      .digest('hex');
  }

  private rendered(model: ModelFile): string[] {
    if (model.seed) return [];
    const render = (isIncremental: boolean, fullRefresh = false) =>
      renderModel(model, { dialect: this.warehouse.dialect, project: this.project, isIncremental, fullRefresh, buildTenant: this.buildTenant });
    return [render(false), render(false, true), ...(model.config.materialized === 'incremental' ? [render(true)] : [])];
  }

  private model(name: string): ModelFile {
    return this.project.models.get(name)!;
  }
}

/** Forgets the recorded states of `models` (their tables were written outside a build). */
export async function forgetModelStates(warehouse: Warehouse, tenant: string, reason: string, models: readonly string[]): Promise<void> {
  if (models.length === 0) return;
  const { latest } = await readStates(warehouse, tenant);
  // What made the rows written outside a build is not known: the next build merges, as it always did.
  await writeForgotten(warehouse, tenant, reason, models.map((model) => [model, '']), new RecordIds(latest));
}

/**
 * Records for `to` what made `from`'s rows, as `from`'s latest record says (nothing known: nothing kept): a model's
 * snapshot keeps what made the model's rows, and the model put back from it gets that again.
 */
export async function copyRowsMadeBy(warehouse: Warehouse, tenant: string, reason: string, from: string, to: string): Promise<void> {
  const { latest, builtAs } = await readStates(warehouse, tenant);
  const made = builtAs.get(from);
  await writeForgotten(warehouse, tenant, reason, [[to, made ? `forgotten:${made.join(',')}` : '']], new RecordIds(latest));
}

/** Forgets the states of the models, each keeping `content` (`FORGOTTEN`, or ''). */
async function writeForgotten(warehouse: Warehouse, tenant: string, runId: string, models: readonly (readonly [string, string])[], ids: RecordIds): Promise<void> {
  if (models.length === 0) return;
  const at = new Date();
  await warehouse.insert('model_states', COLUMNS, models.map(([model, content]) => [tenant, model, ids.next(), runId, '', content, 0, at]));
}

/**
 * The order of a tenant's records: time-ordered ids, each after every one recorded before, also when this process's
 * clock is behind the one that wrote the latest (a forget must not sort before the state it forgets).
 */
class RecordIds {
  constructor(private floor: string) {}

  next(): string {
    const id = timeOrderedId();
    this.floor = id > this.floor ? id : `${this.floor}~`;
    return this.floor;
  }
}

async function readStates(warehouse: Warehouse, tenant: string): Promise<{ states: Map<string, ModelState>; builtAs: Map<string, readonly string[]>; latest: string }> {
  const scope = new TenantScope(warehouse, tenant);
  const rows = await scope.query<{ model: string; inputs: string; content: string; row_count: number | string; run_id: string; latest: string }>(
    sql`SELECT model, argMax(inputs, recorded_id) AS inputs, argMax(content, recorded_id) AS content,
       argMax(row_count, recorded_id) AS row_count, argMax(run_id, recorded_id) AS run_id, max(recorded_id) AS latest
     FROM ${scope.table('model_states')} GROUP BY model`,
  );
  const latest = rows.reduce((max, row) => (row.latest > max ? row.latest : max), '');
  const states = new Map(rows.filter((row) => row.inputs !== '').map((row) => [row.model, { inputs: row.inputs, content: row.content, rows: Number(row.row_count), runId: row.run_id }]));
  const builtAs = new Map(rows.flatMap((row): [string, readonly string[]][] => {
    const merged = MERGED.exec(row.content)?.[1];
    if (merged) return [[row.model, [merged]]];
    const forgotten = FORGOTTEN.exec(row.content)?.[1];
    if (forgotten) return [[row.model, forgotten.split(',')]];
    return row.content === '' || LEGACY_MERGED.test(row.content) ? [] : [[row.model, [OTHER_ROWS]]];
  }));
  return { states, builtAs, latest };
}

const isView = (model: ModelFile) => model.config.materialized === 'view' || model.config.materialized === 'ephemeral';

/** SQL whose result can differ with nothing changed: it reads the clock or chance. */
const CLOCK_OR_CHANCE = /\b(now|now64|today|yesterday|current_timestamp|current_date|localtimestamp|rand|rand64|random|randomString|generateUUIDv4|gen_random_uuid|uuid)\s*\(|\bcurrent_(timestamp|date)\b/i;
/** A table read by name in the model's own SQL, not through `ref`, `source` or a macro (a table function: its call follows). */
const NAMED_READ = /\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)(\s*\()?/gi;
/** Names the SQL defines itself: common table expressions. */
const CTE = /\b([A-Za-z_][A-Za-z0-9_]*)\s+AS\s*\(/gi;

/** Whether a model's result can change with nothing it names changed. */
function volatile(model: ModelFile, rendered: readonly string[]): boolean {
  if (rendered.some((sql) => CLOCK_OR_CHANCE.test(sql))) return true;
  const defined = new Set([...model.body.matchAll(CTE)].map((m) => m[1]!.toLowerCase()));
  return [...model.body.matchAll(NAMED_READ)].some((m) => m[2] === undefined && !defined.has(m[1]!.toLowerCase()));
}
