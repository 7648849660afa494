import { createHash } from 'node:crypto';
import { timeOrderedId } from '../../kernel/ids/index.ts';
import { columnNames, type Warehouse } from '../../kernel/warehouse/index.ts';
import type { CompiledProject } from './compile-project.ts';
import type { ModelFile } from './model-file.ts';
import { renderModel } from './render-model.ts';

/** Changed when how a model is built changes in a way its rendered SQL does not show: every recorded state then stops holding. */
const STAMP_FORMAT = 'model-stamps/1';

/** What a build recorded of a model it built. */
export interface ModelState {
  /** Digest of the model's definition and of the stamps of what it read (`inputsOf`). */
  inputs: string;
  /** What its children fold in: a table's content fingerprint, an incremental model's build; '' for a view. */
  content: string;
  rows: number;
  runId: string;
}

const COLUMNS = columnNames('model_states');

/**
 * Whether a model may be left as it is: when its definition and everything it reads are as they were when a build last
 * built it, building it again would give the same rows. What it reads is stamped:
 * - a raw source by the warehouse's change token (`Warehouse.changeTokens`; none on DuckDB, where whatever reads a raw
 *   table is always rebuilt);
 * - a table or seed by the fingerprint of its content after it was built, so a table rebuilt the same (a bill's
 *   allocation when only usage outside its windows moved) stops the rebuild of what reads it;
 * - an incremental model by the build that last merged into it (a merge is not compared);
 * - a view or ephemeral model by its SQL and the stamps of what it reads (a view is left in place when its SQL is).
 * States are recorded in `model_states` by builds that tested what they built, and forgotten before a full refresh.
 */
export class ModelStamps {
  /** Stamps settled in this build: built, left as they were, or unknown (failed or skipped). */
  private readonly settled = new Map<string, string | undefined>();
  private readonly derived = new Map<string, string | undefined>();
  private readonly definitions = new Map<string, string>();
  private readonly pending: [string, ModelState][] = [];

  private constructor(
    private readonly warehouse: Warehouse,
    private readonly project: CompiledProject,
    private readonly tenant: string,
    readonly runId: string,
    private readonly recorded: Map<string, ModelState>,
    private readonly tokens: Map<string, string>,
  ) {}

  /** The recorded states and the raw sources' tokens, read once at a build's start; a full refresh forgets `models` first. */
  static async load(warehouse: Warehouse, project: CompiledProject, options: { tenant: string; runId: string; fullRefresh: boolean; models: readonly string[] }): Promise<ModelStamps> {
    const { tenant, runId, fullRefresh, models } = options;
    const tables = [...new Set([...project.models.values()].flatMap((model) => model.sources.map(([, table]) => table)))];
    const [recorded, tokens] = await Promise.all([
      fullRefresh ? new Map<string, ModelState>() : readStates(warehouse, tenant),
      warehouse.changeTokens ? warehouse.changeTokens(tables) : new Map<string, string>(),
    ]);
    const stamps = new ModelStamps(warehouse, project, tenant, runId, recorded, tokens);
    if (fullRefresh) await stamps.forget(models.filter((name) => project.models.get(name)!.config.materialized !== 'ephemeral'));
    return stamps;
  }

  /** The state `name` was last built in, when its definition and inputs are still as that build read them. */
  unchanged(name: string): ModelState | undefined {
    const state = this.recorded.get(name);
    const inputs = this.inputsOf(name);
    return state !== undefined && inputs !== undefined && state.inputs === inputs ? state : undefined;
  }

  /** `name` left as it was in `state`. */
  kept(name: string, state: ModelState): void {
    this.settled.set(name, this.stampFromState(name, state));
  }

  /**
   * `name` built in this build, its tests passed; `fingerprint` its content's (tables). What reads it folds in what it
   * now holds, even when what it read had no stamp (a raw table on DuckDB); its state is recorded when `record` (a
   * build that tested it) and its inputs are known.
   */
  built(name: string, fingerprint: string | undefined, rows: number | null, record: boolean): void {
    const model = this.model(name);
    // A seed's rows are its definition.
    const content = isView(model) ? '' : model.config.materialized === 'incremental' ? `merged:${this.runId}` : model.seed ? this.definition(name) : fingerprint;
    const inputs = this.inputsOf(name);
    this.settled.set(name, isView(model) ? this.viewStamp(name) : content);
    if (record && content !== undefined && inputs !== undefined) this.pending.push([name, { inputs, content, rows: rows ?? 0, runId: this.runId }]);
  }

  /** `name` not built (failed, or skipped below a failure): what reads it is rebuilt. */
  unknown(name: string): void {
    this.settled.set(name, undefined);
  }

  /** Records the states of what this build built and tested, in one write. */
  async save(): Promise<void> {
    if (this.pending.length === 0) return;
    const at = new Date();
    const rows = this.pending.splice(0).map(([model, s]) => [this.tenant, model, timeOrderedId(), s.runId, s.inputs, s.content, s.rows, at]);
    await this.warehouse.insert('model_states', COLUMNS, rows);
  }

  /** Forgets the states of `models`: their tables are about to change in a way a state would not show. */
  async forget(models: readonly string[]): Promise<void> {
    await forgetModelStates(this.warehouse, this.tenant, this.runId, models);
    for (const name of models) this.recorded.delete(name);
  }

  /** A digest of the model's definition and of the stamps of its parents and sources; undefined when one is unknown. A view's: its definition alone. */
  private inputsOf(name: string): string | undefined {
    const model = this.model(name);
    if (isView(model)) return this.definition(name);
    return this.digestOf(name);
  }

  /** The stamp what reads `name` folds in. */
  private stampOf(name: string): string | undefined {
    if (this.settled.has(name)) return this.settled.get(name);
    const model = this.model(name);
    if (isView(model)) return this.viewStamp(name);
    const state = this.recorded.get(name);
    return state && state.content !== '' ? state.content : undefined;
  }

  private stampFromState(name: string, state: ModelState): string | undefined {
    return isView(this.model(name)) ? this.viewStamp(name) : state.content;
  }

  private viewStamp(name: string): string | undefined {
    if (!this.derived.has(name)) this.derived.set(name, this.digestOf(name));
    return this.derived.get(name);
  }

  private digestOf(name: string): string | undefined {
    const model = this.model(name);
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

  /** The model as the engine would run it, each way it can be rendered, with how it is stored. */
  private definition(name: string): string {
    let definition = this.definitions.get(name);
    if (definition === undefined) {
      const model = this.model(name);
      const render = (isIncremental: boolean) => renderModel(model, { dialect: this.warehouse.dialect, project: this.project, isIncremental });
      definition = createHash('sha256').update(JSON.stringify([
        STAMP_FORMAT, this.warehouse.engine, model.config.materialized, model.config.uniqueKey, model.outputColumns ?? null, model.seed ?? null,
        model.seed ? '' : render(false), model.config.materialized === 'incremental' ? render(true) : '',
      ])).digest('hex');
      this.definitions.set(name, definition);
    }
    return definition;
  }

  private model(name: string): ModelFile {
    return this.project.models.get(name)!;
  }
}

/** Forgets the recorded states of `models` (their tables were written outside a build, or a full refresh begins). */
export async function forgetModelStates(warehouse: Warehouse, tenant: string, runId: string, models: readonly string[]): Promise<void> {
  if (models.length === 0) return;
  const at = new Date();
  await warehouse.insert('model_states', COLUMNS, models.map((model) => [tenant, model, timeOrderedId(), runId, '', '', 0, at]));
}

async function readStates(warehouse: Warehouse, tenant: string): Promise<Map<string, ModelState>> {
  const rows = await warehouse.query<{ model: string; inputs: string; content: string; row_count: number | string; run_id: string }>(
    `SELECT model, argMax(inputs, recorded_id) AS inputs, argMax(content, recorded_id) AS content,
       argMax(row_count, recorded_id) AS row_count, argMax(run_id, recorded_id) AS run_id
     FROM model_states WHERE tenant_id = ? GROUP BY model`,
    [tenant],
  );
  return new Map(rows.filter((row) => row.inputs !== '').map((row) => [row.model, { inputs: row.inputs, content: row.content, rows: Number(row.row_count), runId: row.run_id }]));
}

const isView = (model: ModelFile) => model.config.materialized === 'view' || model.config.materialized === 'ephemeral';
