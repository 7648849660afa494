import { resolve } from 'node:path';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { columnNames } from '../../kernel/warehouse/index.ts';
import { manifest, relationNamespace, runResults, writeArtifacts, type ArtifactContext } from './artifacts.ts';
import { compileProject, type CompiledProject } from './compile-project.ts';
import type { ModelGenerator } from './model-generator.ts';
import { LineageRecorder, type LineageSink } from './lineage/lineage-recorder.ts';
import { PROJECT_NAME, RAW_SOURCES } from './raw-sources.ts';
import { runProject, type ModelResult, type RunMode, type RunOptions } from './run-project.ts';
import { selectModels } from './select-models.ts';

/** What started a build, as recorded in `build_runs`. */
export type BuildTrigger = 'cli' | 'api' | 'schedule' | 'restore' | 'erasure';

export interface BuildRequest {
  modelsDir: string;
  /** The packs' model generators (packs/index.ts: MODEL_GENERATORS). */
  generators: readonly ModelGenerator[];
  targetDir: string;
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  /** build (default), run, test or seed: see `RunOptions.mode`. */
  mode?: RunMode;
  onModel?: RunOptions['onModel'];
  /** Models run at once: see `RunOptions.threads`. */
  threads?: number;
  /** The tenant the build runs as; its lineage and run records carry it. */
  tenant: string;
  trigger: BuildTrigger;
  /** Also sends the OpenLineage events here (COMPANYOS_OPENLINEAGE_URL). */
  lineageSink?: LineageSink;
  /** Asked before each model writes: see `RunOptions.guard` (`BuildGate.run` passes its lease's). */
  guard?: RunOptions['guard'];
  /** The project as already compiled from `modelsDir` (by a caller that checked it first). */
  project?: CompiledProject;
}

export interface BuildReport {
  run_id: string;
  results: ModelResult[];
  selected: number;
  total: number;
  seconds: number;
  /** OpenLineage events the sink refused; the build itself is not failed for them. */
  lineage_failures: string[];
}

const BUILD_RUN_COLUMNS = columnNames('build_runs');

/**
 * compile → select → run (with lineage) → write artifacts → record the run:
 * what `companyos build | run | test | seed`, the build API and the schedule all do.
 */
export async function buildProject(warehouse: Warehouse, request: BuildRequest): Promise<BuildReport> {
  const project = request.project ?? (await compileProject(resolve(request.modelsDir), RAW_SOURCES, request.generators));
  const mode = request.mode ?? 'build';
  const models = selectModels(project, request.select ?? [], request.exclude ?? []);
  const started = new Date();
  const startedTick = performance.now();
  const lineage = new LineageRecorder(warehouse, project, request.tenant, request.lineageSink);
  let results: ModelResult[];
  try {
    await lineage.buildStarted(started);
    results = await runProject(warehouse, project, {
      models,
      fullRefresh: request.fullRefresh,
      mode,
      threads: request.threads,
      guard: request.guard,
      stamps: { tenant: request.tenant, runId: lineage.buildRunId },
      tenant: request.tenant,
      onModel: async (event) => {
        if (event.result) await lineage.modelFinished(event.result);
        else await lineage.modelStarted(event.model);
        await request.onModel?.(event);
      },
    });
  } catch (error) {
    // The graph and run rows already on their way land before the caller (a CLI about to close the warehouse) goes on.
    await lineage.settle();
    throw error;
  }
  await lineage.buildFinished(results);
  const finished = new Date();
  const seconds = (performance.now() - startedTick) / 1000;
  const artifacts: ArtifactContext = {
    projectName: PROJECT_NAME,
    namespace: await relationNamespace(warehouse),
    modelsDir: request.modelsDir,
    generatedAt: started,
    invocationId: lineage.buildRunId,
  };
  await writeArtifacts(resolve(request.targetDir), {
    manifest: manifest(project, RAW_SOURCES, artifacts),
    runResults: runResults(results, project, { ...artifacts, elapsedSeconds: seconds, mode }),
  });
  const count = (status: ModelResult['status']) => results.filter((r) => r.status === status).length;
  const failed = results.filter((r) => r.status === 'error').map((r) => `${r.model}: ${r.message}`);
  await warehouse.insert('build_runs', BUILD_RUN_COLUMNS, [
    [request.tenant, lineage.buildRunId, request.trigger, started, finished, failed.length ? 'error' : 'success',
      count('success'), count('error'), count('skipped'), failed.join('; ').slice(0, 2000)],
  ]);
  return { run_id: lineage.buildRunId, results, selected: results.length, total: project.models.size, seconds, lineage_failures: lineage.sinkFailures };
}
