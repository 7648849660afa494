import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { ModelGenerator } from './model-generator.ts';
import { parseModelFile, type ModelFile, type ModelProblem } from './model-file.ts';
import { parseSeedFile } from './seeds/seed-file.ts';
import { projectFingerprint } from './project-fingerprint.ts';
import { tablesReadByMacros } from './render-model.ts';

/** Raw tables models may read with `{{ source('name', 'table') }}`. */
export type Sources = Record<string, readonly string[]>;

export interface CompiledProject {
  models: Map<string, ModelFile>;
  /** Every model after everything it refs. */
  order: string[];
  /** Model name → the models it refs. */
  parents: Map<string, string[]>;
  /** Model name → the models that ref it. */
  children: Map<string, string[]>;
}

/** Everything wrong with a project, found in one pass (Dataform-style), not one error at a time. */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(readonly problems: ModelProblem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the models:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

/** Projects compiled in this process, by folder: reused while nothing they read changed (dbt's partial parsing). */
const compiled = new Map<string, { key: string; generators: readonly ModelGenerator[]; inputs: readonly string[]; digest: string; project: CompiledProject }>();
const KEPT_PROJECTS = 16;
const NO_GENERATORS: readonly ModelGenerator[] = [];

/**
 * Reads every `.sql` model and `.csv` seed under `dir`, and the models the packs' `generators`
 * make of their declarations there (packs/index.ts: MODEL_GENERATORS), and checks the graph:
 * names, refs, sources, tests, cycles. When the files it read last time in this process (those
 * under the folder and what its generators read elsewhere) are byte for byte the same, with the
 * same sources, generators and working directory (which names the paths in messages), the last
 * project is given again without parsing (~50 ms for the shipped project).
 */
export async function compileProject(dir: string, sources: Sources, generators: readonly ModelGenerator[] = NO_GENERATORS): Promise<CompiledProject> {
  const folder = resolve(dir);
  const key = `${process.cwd()}\0${JSON.stringify(sources)}`;
  const cached = compiled.get(folder);
  if (cached && cached.key === key && cached.generators === generators && (await projectFingerprint(folder, cached.inputs)) === cached.digest) {
    return cached.project;
  }
  const { project, inputs } = await compileFresh(dir, sources, generators);
  // Kept only if nothing it read changed while it compiled.
  const digest = await projectFingerprint(folder, inputs);
  compiled.delete(folder);
  if (digest !== undefined) compiled.set(folder, { key, generators, inputs, digest, project });
  if (compiled.size > KEPT_PROJECTS) compiled.delete(compiled.keys().next().value!);
  return project;
}

async function compileFresh(dir: string, sources: Sources, generators: readonly ModelGenerator[]): Promise<{ project: CompiledProject; inputs: string[] }> {
  const files = await projectFiles(dir);
  const problems: ModelProblem[] = [];
  const inputs: string[] = [];
  const models = new Map<string, ModelFile>();
  // Each pack's generated models (meters, attribution, SLOs …); their problems are reported with the rest.
  for (const generator of generators) {
    const generated = await generator.generate(dir);
    problems.push(...generated.problems);
    inputs.push(...(generated.inputs ?? []));
    for (const model of generated.models) models.set(model.name, model);
  }
  for (const file of files) {
    const path = relative(process.cwd(), file);
    const parse = file.endsWith('.csv') ? parseSeedFile : parseModelFile;
    const { model, problems: found } = parse(path, await readFile(file, 'utf8'));
    problems.push(...found);
    const existing = models.get(model.name);
    if (existing) problems.push({ path, message: `a model named "${model.name}" is also defined in ${existing.path}` });
    else models.set(model.name, model);
  }
  for (const model of models.values()) {
    for (const ref of model.refs) {
      if (!models.has(ref)) problems.push({ path: model.path, message: `ref('${ref}') names no model${suggest(ref, [...models.keys()])}` });
    }
    for (const [source, table] of model.sources) {
      if (!sources[source]?.includes(table)) problems.push({ path: model.path, message: `source('${source}', '${table}') is not a declared source` });
    }
    // A build leaves a model as it is when what it reads did not change: what it reads must be known.
    for (const table of tablesReadByMacros(model.body)) {
      if (!model.sources.some(([, listed]) => listed === table)) problems.push({ path: model.path, message: `reads the raw table "${table}" without listing it among its sources` });
    }
    if (model.config.materialized === 'ephemeral' && Object.values(model.config.columns).some((c) => c.tests.length)) {
      problems.push({ path: model.path, message: 'an ephemeral model is never built, so it cannot have column tests' });
    }
    for (const [column, { tests }] of Object.entries(model.config.columns)) {
      for (const test of tests) {
        if (test.name === 'relationships' && test.to && models.get(test.to)?.config.materialized === 'ephemeral') {
          problems.push({ path: model.path, message: `columns.${column}: relationships to "${test.to}", which is ephemeral and never built` });
        }
        if (test.name === 'relationships' && test.to && !models.has(test.to)) {
          problems.push({ path: model.path, message: `columns.${column}: relationships to "${test.to}", which is no model` });
        }
      }
    }
  }
  // A relationships test reads its target, so the target is built first, like a ref.
  const parents = new Map(
    [...models.values()].map((m) => {
      const tested = Object.values(m.config.columns).flatMap(({ tests }) => tests.flatMap((t) => (t.name === 'relationships' && t.to ? [t.to] : [])));
      return [m.name, [...new Set([...m.refs, ...tested])].filter((r) => models.has(r) && r !== m.name)];
    }),
  );
  const { order, cycles } = topologicalOrder(parents);
  for (const cycle of cycles) problems.push({ path: models.get(cycle[0]!)!.path, message: `ref cycle: ${[...cycle, cycle[0]].join(' → ')}` });
  if (problems.length) throw new CompileError(problems);
  const children = new Map([...models.keys()].map((name) => [name, [] as string[]]));
  for (const [child, refs] of parents) for (const parent of refs) children.get(parent)!.push(child);
  return { project: { models, order, parents, children }, inputs };
}

/** Depth-first order (parents first); each cycle reported once, as the models on it. */
function topologicalOrder(parents: Map<string, string[]>): { order: string[]; cycles: string[][] } {
  const order: string[] = [];
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      cycles.push(stack.slice(stack.indexOf(name)));
      return;
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const parent of parents.get(name) ?? []) visit(parent);
    stack.pop();
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...parents.keys()].sort()) visit(name);
  return { order, cycles };
}

/** Models (`.sql`) and seeds (`.csv`) anywhere under the folder. */
async function projectFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && (e.name.endsWith('.sql') || e.name.endsWith('.csv')))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function suggest(name: string, known: string[]): string {
  const close = known.find((k) => k.includes(name) || name.includes(k));
  return close ? ` (did you mean "${close}"?)` : '';
}
