import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledProject, Sources } from './compile-project.ts';
import type { ModelResult } from './run-project.ts';

const DBT_SCHEMA = 'https://schemas.getdbt.com/dbt';

/** `manifest.json` in dbt's shape: nodes, sources, parent_map, child_map. */
export function manifest(project: CompiledProject, projectName: string, sources: Sources, generatedAt: Date) {
  const modelId = (name: string) => `${project.models.get(name)?.seed ? 'seed' : 'model'}.${projectName}.${name}`;
  const sourceId = (source: string, table: string) => `source.${projectName}.${source}.${table}`;
  const nodes = Object.fromEntries(
    [...project.models.values()].map((model) => [
      modelId(model.name),
      {
        unique_id: modelId(model.name),
        resource_type: model.seed ? 'seed' : 'model',
        package_name: projectName,
        name: model.name,
        original_file_path: model.path,
        raw_code: model.body,
        description: model.config.description,
        tags: model.config.tags,
        config: { materialized: model.config.materialized, unique_key: model.config.uniqueKey, tags: model.config.tags },
        columns: Object.fromEntries(
          Object.entries(model.config.columns).map(([name, column]) => [name, { name, description: column.description }]),
        ),
        depends_on: {
          nodes: [...model.refs.map(modelId), ...model.sources.map(([s, t]) => sourceId(s, t))],
        },
      },
    ]),
  );
  const sourceNodes = Object.fromEntries(
    Object.entries(sources).flatMap(([source, tables]) =>
      tables.map((table) => [sourceId(source, table), { unique_id: sourceId(source, table), resource_type: 'source', source_name: source, name: table }]),
    ),
  );
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = Object.fromEntries(Object.keys({ ...nodes, ...sourceNodes }).map((id) => [id, []]));
  for (const [id, node] of Object.entries(nodes)) {
    parentMap[id] = node.depends_on.nodes;
    for (const parent of node.depends_on.nodes) childMap[parent]?.push(id);
  }
  for (const id of Object.keys(sourceNodes)) parentMap[id] = [];
  return {
    metadata: { dbt_schema_version: `${DBT_SCHEMA}/manifest/v12.json`, generated_at: generatedAt.toISOString(), project_name: projectName },
    nodes,
    sources: sourceNodes,
    parent_map: parentMap,
    child_map: childMap,
  };
}

/** `run_results.json` in dbt's shape. */
export function runResults(
  results: readonly ModelResult[],
  projectName: string,
  generatedAt: Date,
  elapsedSeconds: number,
  seeds: ReadonlySet<string> = new Set(),
) {
  return {
    metadata: { dbt_schema_version: `${DBT_SCHEMA}/run-results/v6.json`, generated_at: generatedAt.toISOString() },
    elapsed_time: elapsedSeconds,
    results: results.flatMap((r) => [
      {
        unique_id: `${seeds.has(r.model) ? 'seed' : 'model'}.${projectName}.${r.model}`,
        status: r.status,
        execution_time: r.seconds,
        timing: [],
        message: r.message,
        thread_id: 'main',
        compiled_code: r.sql,
        adapter_response: { rows_affected: r.rows },
      },
      ...r.tests.map((t) => ({
        unique_id: `test.${projectName}.${t.name}`,
        status: t.status,
        execution_time: 0,
        timing: [],
        message: t.message,
        thread_id: 'main',
        failures: t.failures,
        adapter_response: {},
      })),
    ]),
  };
}

export async function writeArtifacts(targetDir: string, artifacts: { manifest: object; runResults: object }): Promise<void> {
  await mkdir(targetDir, { recursive: true });
  await writeFile(join(targetDir, 'manifest.json'), JSON.stringify(artifacts.manifest, null, 2));
  await writeFile(join(targetDir, 'run_results.json'), JSON.stringify(artifacts.runResults, null, 2));
}
