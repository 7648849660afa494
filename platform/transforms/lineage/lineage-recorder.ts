import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { columnNames } from '../../../kernel/warehouse/index.ts';
import type { CompiledProject } from '../compile-project.ts';
import type { ModelResult } from '../run-project.ts';
import { deriveColumnLineage, type LineageInput } from './column-lineage.ts';
import { writeLineageGraph } from './lineage-graph.ts';
import { facets, runEvent, type Dataset, type JobRef, type RunEvent, type RunEventType } from './openlineage.ts';
import { timeOrderedId } from '../../../kernel/ids/index.ts';

export const JOB_NAMESPACE = 'companyos';
export const BUILD_JOB = 'companyos.build';
const RUN_COLUMNS = columnNames('lineage_runs');

/** Where events go besides the warehouse (an OpenLineage HTTP endpoint); a failure is reported, never fatal. */
export type LineageSink = (event: RunEvent) => Promise<void>;

/**
 * The OpenLineage record of one build: a parent run for the build, one run per
 * model it ran (START, then COMPLETE, FAIL, or ABORT when skipped for a failed
 * parent; none for a model left as it is, `ModelResult.reused`) with `parent`, `sql`, `schema`, `columnLineage`,
 * `dataQualityAssertions` and `outputStatistics` facets, stored in
 * `lineage_runs` and sent to the sink; and the dataset graph of the project.
 */
export class LineageRecorder {
  readonly buildRunId = timeOrderedId();
  private readonly buildJob: JobRef = { namespace: JOB_NAMESPACE, name: BUILD_JOB };
  private readonly modelRuns = new Map<string, { runId: string; started: Date; inputs: LineageInput[] }>();
  private readonly namespace: string;
  readonly sinkFailures: string[] = [];
  private readonly columnsOf = new Map<string, Promise<{ name: string; type: string }[]>>();
  /** Rows on their way to `lineage_runs` and the graph: written beside the models, not before each (~9 ms a one-row commit), and all settled when the build ends. */
  private readonly writes: Promise<unknown>[] = [];

  constructor(
    private readonly warehouse: Warehouse,
    private readonly project: CompiledProject,
    private readonly tenant: string,
    private readonly sink?: LineageSink,
  ) {
    this.namespace = `${warehouse.engine}://companyos`;
  }

  async buildStarted(at: Date): Promise<void> {
    // The graph is written beside the models, as the run rows are, and settled with them when the build ends.
    this.track(writeLineageGraph(this.warehouse, this.tenant, this.buildRunId, this.project, at));
    await this.record([runEvent({ eventType: 'START', eventTime: at, runId: this.buildRunId, job: this.buildJob, jobFacets: { jobType: facets.jobType('JOB') } })]);
  }

  /** START goes out when the model begins, so that an endpoint watching sees it running. */
  async modelStarted(name: string): Promise<void> {
    const model = this.project.models.get(name)!;
    if (model.config.materialized === 'ephemeral') return;
    const run = { runId: timeOrderedId(), started: new Date(), inputs: await this.inputs(name) };
    this.modelRuns.set(name, run);
    await this.record([
      runEvent({ eventType: 'START', eventTime: run.started, runId: run.runId, job: { namespace: JOB_NAMESPACE, name }, ...this.modelFacets(name), inputs: datasets(run.inputs) }),
    ]);
  }

  async modelFinished(result: ModelResult): Promise<void> {
    const run = this.modelRuns.get(result.model);
    if (!run) return;
    const { runFacets, jobFacets } = this.modelFacets(result.model, result.sql);
    const eventType: RunEventType = result.status === 'success' ? 'COMPLETE' : result.status === 'skipped' ? 'ABORT' : 'FAIL';
    await this.record([
      runEvent({
        eventType,
        eventTime: new Date(),
        runId: run.runId,
        job: { namespace: JOB_NAMESPACE, name: result.model },
        runFacets: result.status === 'success' ? runFacets : { ...runFacets, errorMessage: facets.errorMessage(result.message) },
        jobFacets,
        inputs: datasets(run.inputs),
        outputs: result.status === 'skipped' ? [] : [await this.output(result, run.inputs)],
      }),
    ]);
  }

  /** The SQL facet comes with the end: the rendered SQL is known once the model ran (a seed has none). */
  private modelFacets(name: string, sql?: string): { runFacets: Record<string, object>; jobFacets: Record<string, object> } {
    return {
      runFacets: { parent: facets.parent(this.buildRunId, this.buildJob) },
      jobFacets: { jobType: facets.jobType(this.project.models.get(name)!.seed ? 'JOB' : 'MODEL'), ...(sql ? { sql: facets.sql(sql) } : {}) },
    };
  }

  async buildFinished(results: readonly ModelResult[]): Promise<void> {
    const failed = results.filter((r) => r.status !== 'success').length;
    const eventType = failed ? 'FAIL' : 'COMPLETE';
    const runFacets: Record<string, object> = failed ? { errorMessage: facets.errorMessage(`${failed} of ${results.length} models failed or were skipped`) } : {};
    await this.record([runEvent({ eventType, eventTime: new Date(), runId: this.buildRunId, job: this.buildJob, runFacets })]);
    await this.settle();
  }

  /**
   * Waits for the lineage rows on their way. One that could not be written is reported with the build, as a refused
   * sink event is: the models are built either way, and the build's artifacts and `build_runs` row still get written.
   */
  async settle(): Promise<void> {
    for (const written of await Promise.allSettled(this.writes.splice(0))) {
      if (written.status === 'rejected') this.sinkFailures.push(`lineage: ${(written.reason as Error).message}`);
    }
  }

  /**
   * The columns of a relation this build reads, asked of the warehouse once (the raw events are every meter's
   * input): a relation changes only when this build writes it, and `output` asks again then.
   */
  private columns(relation: string): Promise<{ name: string; type: string }[]> {
    let columns = this.columnsOf.get(relation);
    if (!columns) {
      columns = this.warehouse.columns(relation);
      this.columnsOf.set(relation, columns);
      columns.catch(() => this.columnsOf.delete(relation));
    }
    return columns;
  }

  private async inputs(name: string): Promise<LineageInput[]> {
    const model = this.project.models.get(name)!;
    const relations = [...model.sources.map(([, table]) => table), ...model.refs];
    return Promise.all(
      relations.map(async (relation) => ({
        namespace: this.namespace,
        name: relation,
        columns: (await this.columns(relation)).map((c) => c.name),
      })),
    );
  }

  private async output(result: ModelResult, inputs: LineageInput[]): Promise<Dataset> {
    const columns = await this.warehouse.columns(result.model);
    this.columnsOf.set(result.model, Promise.resolve(columns));
    const model = this.project.models.get(result.model)!;
    const datasetFacets: Record<string, object> = {
      schema: facets.schema(columns),
      columnLineage: facets.columnLineage(deriveColumnLineage(result.sql, inputs, { backslashEscapes: this.warehouse.dialect.backslashEscapes })),
    };
    if (result.tests.length) {
      const columnOf = (test: string) => Object.keys(model.config.columns).find((c) => test.endsWith(`_${result.model}_${c}`));
      datasetFacets.dataQualityAssertions = facets.dataQualityAssertions(
        result.tests.map((t) => ({ assertion: t.name, success: t.status === 'pass' || t.status === 'warn', column: columnOf(t.name) })),
      );
    }
    return {
      namespace: this.namespace,
      name: result.model,
      facets: datasetFacets,
      ...(result.rows === null ? {} : { outputFacets: { outputStatistics: facets.outputStatistics(result.rows) } }),
    };
  }

  /** A write `buildFinished` settles; until then a failure is not an unhandled rejection. */
  private track(write: Promise<unknown>): void {
    write.catch(() => undefined);
    this.writes.push(write);
  }

  private async record(events: RunEvent[]): Promise<void> {
    const written = this.warehouse.insert(
      'lineage_runs',
      RUN_COLUMNS,
      events.map((e) => [
        this.tenant,
        e.run.runId,
        (e.run.facets.parent as { run: { runId: string } } | undefined)?.run.runId ?? null,
        e.job.name,
        e.eventType,
        new Date(e.eventTime),
        JSON.stringify(e),
      ]),
    );
    this.track(written);
    if (!this.sink) return;
    for (const event of events) {
      try {
        await this.sink(event);
      } catch (error) {
        this.sinkFailures.push(`${event.job.name} ${event.eventType}: ${(error as Error).message}`);
      }
    }
  }
}

const datasets = (inputs: LineageInput[]): Dataset[] => inputs.map(({ namespace, name }) => ({ namespace, name }));

/** A sink that POSTs each event to an OpenLineage HTTP endpoint (Marquez: …/api/v1/lineage). */
export function httpLineageSink(url: string, timeoutMs = 5000): LineageSink {
  return async (event) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  };
}
