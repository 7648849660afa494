import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ModelFile, ModelProblem } from './model-file.ts';

/**
 * Models a pack generates from its declarations in the project folder (meters
 * from `meters.yaml`, cost attribution from `finops/allocation.yaml`, …). The
 * compiler runs every registered generator beside the project's `.sql` models
 * and reports the problems of all of them together.
 */
export interface ModelGenerator {
  /** What it reads, for messages: a file or folder under the project. */
  readonly reads: string;
  /** `inputs`: files or folders outside the project folder it read (so that a change there is seen). */
  generate(projectDir: string): Promise<{ models: ModelFile[]; problems: ModelProblem[]; inputs?: string[] }>;
}

/** A generator for one YAML file of the project: nothing when the project has no such file. */
export function fileGenerator(
  file: string,
  generate: (path: string, text: string) => { models: ModelFile[]; problems: ModelProblem[] },
): ModelGenerator {
  return {
    reads: file,
    async generate(projectDir) {
      const text = await readFile(join(projectDir, file), 'utf8').catch(() => undefined);
      if (text === undefined) return { models: [], problems: [] };
      return generate(relative(process.cwd(), join(projectDir, file)), text);
    },
  };
}
