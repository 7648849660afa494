import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import type { ModelFile, ModelProblem } from '../../platform/transforms/index.ts';
import { parseSlo, SloError, type Slo } from './openslo.ts';
import { sloModels } from './slo-models.ts';

/** In a models folder: where its SLOs are declared (`openslo_dir`, relative to the folder). */
export const SLO_POINTER_FILE = 'slo.yaml';

/** The SLO models of a project whose `slo.yaml` points at a folder of OpenSLO files; none without one. */
export async function projectSloModels(modelsDir: string): Promise<{ models: ModelFile[]; problems: ModelProblem[]; inputs: string[] }> {
  const pointer = join(modelsDir, SLO_POINTER_FILE);
  const text = await readFile(pointer, 'utf8').catch(() => undefined);
  if (text === undefined) return { models: [], problems: [], inputs: [] };
  const path = relative(process.cwd(), pointer);
  const dir = (parse(text) as { openslo_dir?: unknown } | null)?.openslo_dir;
  if (typeof dir !== 'string') return { models: [], problems: [{ path, message: 'openslo_dir must name the folder of OpenSLO files, relative to this one' }], inputs: [] };
  const sloDir = resolve(modelsDir, dir);
  const files = await readdir(sloDir).catch(() => undefined);
  if (!files) return { models: [], problems: [{ path, message: `openslo_dir ${dir} is not a readable folder` }], inputs: [sloDir] };
  const slos: Slo[] = [];
  const problems: ModelProblem[] = [];
  for (const file of files.filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort()) {
    try {
      slos.push(parseSlo(await readFile(join(sloDir, file), 'utf8'), relative(process.cwd(), join(sloDir, file))));
    } catch (error) {
      if (!(error instanceof SloError)) throw error;
      problems.push({ path: relative(process.cwd(), join(sloDir, file)), message: error.message.replace(/^[^:]+: /, '') });
    }
  }
  return { models: sloModels(slos, path), problems, inputs: [sloDir] };
}
