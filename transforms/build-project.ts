import { resolve } from 'node:path';
import type { Warehouse } from '../warehouse/index.ts';
import { manifest, runResults, writeArtifacts } from './artifacts.ts';
import { compileProject } from './compile-project.ts';
import { PROJECT_NAME, RAW_SOURCES } from './raw-sources.ts';
import { runProject, type ModelResult, type RunOptions } from './run-project.ts';
import { selectModels } from './select-models.ts';

export interface BuildRequest {
  modelsDir: string;
  targetDir: string;
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  onModel?: RunOptions['onModel'];
}

export interface BuildReport {
  results: ModelResult[];
  selected: number;
  total: number;
  seconds: number;
}

/** compile → select → run → write artifacts: what `companyos build` and the build API both do. */
export async function buildProject(warehouse: Warehouse, request: BuildRequest): Promise<BuildReport> {
  const project = await compileProject(resolve(request.modelsDir), RAW_SOURCES);
  const models = selectModels(project, request.select ?? [], request.exclude ?? []);
  const started = new Date();
  const results = await runProject(warehouse, project, { models, fullRefresh: request.fullRefresh, onModel: request.onModel });
  const seconds = (Date.now() - started.getTime()) / 1000;
  await writeArtifacts(resolve(request.targetDir), {
    manifest: manifest(project, PROJECT_NAME, RAW_SOURCES, started),
    runResults: runResults(results, PROJECT_NAME, started, seconds),
  });
  return { results, selected: models.length, total: project.models.size, seconds };
}
