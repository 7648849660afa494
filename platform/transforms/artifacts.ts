import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { EngineName, Warehouse } from '../../kernel/warehouse/index.ts';
import { columnTestQueries, inlineParams } from './column-tests.ts';
import type { CompiledProject, Sources } from './compile-project.ts';
import type { ModelFile } from './model-file.ts';
import type { ModelResult, RunMode } from './run-project.ts';

const DBT_SCHEMA = 'https://schemas.getdbt.com/dbt';
/** Where RAW_SOURCES are declared: the sources' `path` in the manifest. */
const SOURCES_FILE = 'platform/transforms/raw-sources.ts';

/** Where relations live on an engine, in dbt's words: DuckDB has database and schema, ClickHouse a database dbt calls the schema. */
export interface RelationNamespace {
  adapter: EngineName;
  database: string | null;
  schema: string;
}

export const IN_MEMORY_NAMESPACE: RelationNamespace = { adapter: 'duckdb', database: 'memory', schema: 'main' };

export async function relationNamespace(warehouse: Warehouse): Promise<RelationNamespace> {
  if (warehouse.engine === 'clickhouse') {
    const [row] = await warehouse.query<{ db: string }>('SELECT currentDatabase() AS db');
    return { adapter: 'clickhouse', database: null, schema: row!.db };
  }
  const [row] = await warehouse.query<{ db: string; schema: string }>('SELECT current_database() AS db, current_schema() AS schema');
  return { adapter: 'duckdb', database: row!.db, schema: row!.schema };
}

/** The quoted name dbt writes as `relation_name`. */
function relationName(namespace: RelationNamespace, name: string): string {
  if (namespace.adapter === 'clickhouse') return `\`${namespace.schema}\`.\`${name}\``;
  return [namespace.database, namespace.schema, name].map((part) => `"${part}"`).join('.');
}

export interface ArtifactContext {
  projectName: string;
  namespace: RelationNamespace;
  /** The models folder: node paths and fqns are relative to it. */
  modelsDir: string;
  generatedAt: Date;
  /** The build's run id. */
  invocationId?: string;
}

const sha256 = (text: string) => ({ name: 'sha256', checksum: createHash('sha256').update(text).digest('hex') });
const modelId = (project: CompiledProject, projectName: string, name: string) =>
  `${project.models.get(name)?.seed ? 'seed' : 'model'}.${projectName}.${name}`;
const sourceId = (projectName: string, source: string, table: string) => `source.${projectName}.${source}.${table}`;
const testId = (projectName: string, test: string) => `test.${projectName}.${test}`;

function metadata(kind: 'manifest/v12' | 'run-results/v6', context: ArtifactContext) {
  return {
    dbt_schema_version: `${DBT_SCHEMA}/${kind}.json`,
    generated_at: context.generatedAt.toISOString(),
    invocation_id: context.invocationId ?? null,
    env: {},
  };
}

/** A model's tests as the manifest's generic test nodes (their SQL compiled against the namespace). */
function testNodes(model: ModelFile, project: CompiledProject, context: ArtifactContext, base: (name: string) => object) {
  const { projectName, namespace } = context;
  return columnTestQueries(model, (name) => relationName(namespace, name)).map((query) => {
    const parents = [model.name, ...(query.test.to ? [query.test.to] : [])];
    const kwargs: Record<string, unknown> = { column_name: query.column, model: `{{ get_where_subquery(ref('${model.name}')) }}` };
    if (query.test.values) kwargs.values = query.test.values;
    if (query.test.to) Object.assign(kwargs, { to: `ref('${query.test.to}')`, field: query.test.field });
    return {
      ...base(query.name),
      resource_type: 'test' as const,
      unique_id: testId(projectName, query.name),
      path: `${query.name}.sql`,
      alias: query.name,
      checksum: { name: 'none', checksum: '' },
      config: { enabled: true, materialized: 'test', severity: query.severity.toUpperCase(), tags: model.config.tags },
      tags: model.config.tags,
      raw_code: `{{ test_${query.test.name}(**_dbt_generic_test_kwargs) }}`,
      language: 'sql',
      refs: parents.map((name) => ({ name, package: null, version: null })),
      sources: [],
      depends_on: { macros: [`macro.dbt.test_${query.test.name}`], nodes: parents.map((name) => modelId(project, projectName, name)) },
      compiled: true,
      compiled_code: inlineParams(query.sql, query.params),
      relation_name: null,
      column_name: query.column,
      attached_node: modelId(project, projectName, model.name),
      test_metadata: { name: query.test.name, kwargs, namespace: null },
    };
  });
}

/**
 * `manifest.json`, valid against dbt's manifest v12 schema: models, seeds, their
 * generic tests and the raw sources, with parent and child maps; the
 * collections CompanyOS has no counterpart for are present and empty.
 */
export function manifest(project: CompiledProject, sources: Sources, context: ArtifactContext) {
  const { projectName, namespace } = context;
  const fromModelsDir = (path: string) => relative(resolve(context.modelsDir), resolve(path)).split(sep).join('/');
  const location = (model: ModelFile) => ({
    database: namespace.database,
    schema: namespace.schema,
    package_name: projectName,
    path: fromModelsDir(model.path),
    original_file_path: model.path,
    fqn: [projectName, ...dirname(fromModelsDir(model.path)).split('/').filter((part) => part !== '.' && part !== '..'), model.name],
  });
  const nodes: Record<string, { depends_on: { macros: string[]; nodes?: string[] }; [field: string]: unknown }> = {};
  for (const model of project.models.values()) {
    const id = modelId(project, projectName, model.name);
    const columns = Object.fromEntries(
      Object.entries(model.config.columns).map(([name, column]) => [name, { name, description: column.description, meta: {}, tags: [] }]),
    );
    const common = {
      ...location(model),
      name: model.name,
      unique_id: id,
      alias: model.name,
      tags: model.config.tags,
      description: model.config.description,
      columns,
      meta: {},
      relation_name: model.config.materialized === 'ephemeral' ? null : relationName(namespace, model.name),
      depends_on: { macros: [], nodes: [...model.refs.map((ref) => modelId(project, projectName, ref)), ...model.sources.map(([s, t]) => sourceId(projectName, s, t))] },
    };
    if (model.seed) {
      nodes[id] = {
        ...common,
        resource_type: 'seed',
        checksum: sha256(JSON.stringify(model.seed)),
        config: { enabled: true, materialized: 'seed', tags: model.config.tags, delimiter: ',' },
        raw_code: '',
        depends_on: { macros: [] },
      };
      continue;
    }
    nodes[id] = {
      ...common,
      resource_type: 'model',
      checksum: sha256(model.body),
      config: {
        enabled: true,
        materialized: model.config.materialized,
        unique_key: model.config.uniqueKey.length ? model.config.uniqueKey : null,
        tags: model.config.tags,
      },
      raw_code: model.body,
      language: 'sql',
      refs: model.refs.map((name) => ({ name, package: null, version: null })),
      sources: model.sources.map(([s, t]) => [s, t]),
    };
    for (const test of testNodes(model, project, context, (name) => ({ ...location(model), name, description: '', columns: {}, meta: {} }))) {
      nodes[test.unique_id] = test;
    }
  }
  const sourceNodes = Object.fromEntries(
    Object.entries(sources).flatMap(([source, tables]) =>
      tables.map((table) => {
        const id = sourceId(projectName, source, table);
        return [id, {
          database: namespace.database,
          schema: namespace.schema,
          name: table,
          resource_type: 'source',
          package_name: projectName,
          path: SOURCES_FILE,
          original_file_path: SOURCES_FILE,
          unique_id: id,
          fqn: [projectName, source, table],
          source_name: source,
          source_description: 'Raw tables the warehouse migrations create and ingest writes.',
          loader: 'companyos ingest',
          identifier: table,
          description: '',
          columns: {},
          meta: {},
          source_meta: {},
          tags: [],
          config: { enabled: true },
          relation_name: relationName(namespace, table),
        }];
      }),
    ),
  );
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = Object.fromEntries(Object.keys({ ...nodes, ...sourceNodes }).map((id) => [id, []]));
  for (const [id, node] of Object.entries(nodes)) {
    parentMap[id] = node.depends_on.nodes ?? [];
    for (const parent of parentMap[id]) childMap[parent]?.push(id);
  }
  for (const id of Object.keys(sourceNodes)) parentMap[id] = [];
  return {
    metadata: { ...metadata('manifest/v12', context), project_name: projectName, adapter_type: namespace.adapter },
    nodes,
    sources: sourceNodes,
    macros: {},
    docs: {},
    exposures: {},
    metrics: {},
    groups: {},
    selectors: {},
    disabled: {},
    parent_map: parentMap,
    child_map: childMap,
    group_map: {},
    saved_queries: {},
    semantic_models: {},
    unit_tests: {},
  };
}

/** `run_results.json`, valid against dbt's run-results v6 schema: one result per model or seed, then one per test run after it. */
export function runResults(results: readonly ModelResult[], project: CompiledProject, context: ArtifactContext & { elapsedSeconds: number; mode: RunMode }) {
  const { projectName, namespace } = context;
  return {
    metadata: metadata('run-results/v6', context),
    elapsed_time: context.elapsedSeconds,
    args: { which: context.mode },
    results: results.flatMap((r) => {
      const model = project.models.get(r.model);
      const compiled = r.status !== 'skipped' && !model?.seed;
      return [
        {
          unique_id: modelId(project, projectName, r.model),
          // dbt's word for a node left as it is because nothing it depends on changed.
          status: r.reused ? 'no-op' : r.status,
          execution_time: r.seconds,
          timing: [],
          message: r.message,
          thread_id: 'main',
          compiled,
          compiled_code: compiled ? r.sql : null,
          relation_name: model?.config.materialized === 'ephemeral' ? null : relationName(namespace, r.model),
          failures: null,
          adapter_response: r.rows === null ? {} : { rows_affected: r.rows },
        },
        ...r.tests.map((t) => ({
          unique_id: testId(projectName, t.name),
          status: t.status,
          execution_time: 0,
          timing: [],
          message: t.message,
          thread_id: 'main',
          compiled: true,
          compiled_code: t.sql,
          relation_name: null,
          failures: t.status === 'error' ? null : t.failures,
          adapter_response: {},
        })),
      ];
    }),
  };
}

export async function writeArtifacts(targetDir: string, artifacts: { manifest: object; runResults: object }): Promise<void> {
  await mkdir(targetDir, { recursive: true });
  await writeFile(join(targetDir, 'manifest.json'), JSON.stringify(artifacts.manifest, null, 2));
  await writeFile(join(targetDir, 'run_results.json'), JSON.stringify(artifacts.runResults, null, 2));
}
