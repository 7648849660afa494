import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { buildProject } from './build-project.ts';
import type { ModelGenerator } from './model-generator.ts';

export interface RebuildOptions {
  modelsDir: string;
  generators: readonly ModelGenerator[];
  /** The operator's tenant: builds are its runs. */
  tenant: string;
  /** The restored data folder: the build's artifacts go under `target/` in it. */
  dataDir: string;
}

/**
 * After a restore: the seeds loaded and every model built again from the restored data (a full
 * refresh, trigger `restore`; shipped changes hold no models). A model that fails fails the
 * restore; their tests are a build's business, not the restore's. Answers a line for people.
 */
export async function rebuildModels(warehouse: Warehouse, options: RebuildOptions): Promise<string> {
  const started = performance.now();
  const build = (mode: 'seed' | 'run') => buildProject(warehouse, {
    modelsDir: options.modelsDir, targetDir: join(options.dataDir, 'target'), generators: options.generators, tenant: options.tenant, trigger: 'restore', fullRefresh: true, mode,
  });
  // Seeds first (a base taken before any build has none), then the models.
  const seeded = await build('seed');
  const report = await build('run');
  const failed = [...seeded.results, ...report.results].filter((r) => r.status === 'error');
  if (failed.length > 0) {
    throw new DomainError('BACKUP_VALIDATION_FAILED', `${failed.length} of ${report.results.length} models did not build from the restored data: ${failed.map((r) => `${r.model} (${r.message})`).join('; ').slice(0, 600)}`);
  }
  return `${report.results.length} models rebuilt from the restored data in ${((performance.now() - started) / 1000).toFixed(1)} s`;
}
