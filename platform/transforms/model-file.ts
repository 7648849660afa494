import { parse as parseYaml } from 'yaml';
import type { Seed } from './seeds/seed-file.ts';

export const MATERIALIZATIONS = ['view', 'table', 'incremental', 'ephemeral'] as const;
export type Materialization = (typeof MATERIALIZATIONS)[number];
export const GENERIC_TESTS = ['unique', 'not_null', 'accepted_values', 'relationships'] as const;

export interface ColumnTest {
  name: (typeof GENERIC_TESTS)[number];
  severity: 'warn' | 'error';
  /** accepted_values: the values; relationships: `to` (a ref name) and `field`. */
  values?: string[];
  to?: string;
  field?: string;
}

export interface ModelConfig {
  /** `seed` only for CSV files (see seeds/seed-file.ts), never in a header. */
  materialized: Materialization | 'seed';
  uniqueKey: string[];
  tags: string[];
  description: string;
  columns: Record<string, { description: string; tests: ColumnTest[] }>;
  /**
   * Built in every run that builds a model reading it, selected or not (a generated model's setting): what it holds is
   * only good for the run that made it (the meters' touched events).
   */
  builtWithReaders?: boolean;
}

export interface ModelFile {
  name: string;
  path: string;
  config: ModelConfig;
  /** The SQL after the header, with `{{ ref() }}` / `{{ source() }}` still in it. */
  body: string;
  refs: string[];
  sources: [string, string][];
  /** For a model generated from meters.yaml, the meter's name. */
  meter?: string;
  /**
   * The columns the model selects, in order, where its generator knows them: an incremental model whose table
   * holds other columns (its declaration changed since it was built) is rebuilt instead of merged into.
   */
  outputColumns?: readonly string[];
  /** For a CSV seed, its typed columns and rows. */
  seed?: Seed;
}

/** A problem in one model file, reported with the others at the end of compilation. */
export interface ModelProblem {
  path: string;
  message: string;
}

const HEADER = /^\s*\/\*---\n([\s\S]*?)\n---\*\/\s*\n?/;
const REF = /\{\{\s*ref\(\s*'([^']+)'\s*\)\s*\}\}/g;
const SOURCE = /\{\{\s*source\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}/g;

/**
 * Reads a model: an optional YAML header in a `/*--- … ---*\/` comment, then
 * SQL that names other models as `{{ ref('name') }}` and raw tables as
 * `{{ source('raw', 'events') }}`, as in dbt.
 *
 * ```sql
 * /*---
 * materialized: incremental
 * unique_key: [tenant_id, window_start]
 * tags: [meters]
 * columns:
 *   tenant_id: { tests: [not_null] }
 * ---*\/
 * SELECT … FROM {{ ref('stg_events') }}
 * ```
 */
/** How YAML-generated models are made: tables of one tag, from `path` (the YAML they came from). */
export function tableModels(path: string, tag: string) {
  return (name: string, body: string, refs: string[], description: string, sources: [string, string][] = []): ModelFile => ({
    name,
    path,
    body,
    refs,
    sources,
    config: { materialized: 'table', uniqueKey: [], tags: [tag], description, columns: {} },
  });
}

export function parseModelFile(path: string, text: string): { model: ModelFile; problems: ModelProblem[] } {
  const name = path.split('/').pop()!.replace(/\.sql$/, '');
  const problems: ModelProblem[] = [];
  const problem = (message: string) => problems.push({ path, message });
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) problem(`model name "${name}" must be lowercase letters, digits and _ (it becomes a table name)`);

  const header = HEADER.exec(text);
  let raw: Record<string, unknown> = {};
  if (header) {
    try {
      const parsed: unknown = parseYaml(header[1]!);
      if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) problem('the config header must be a YAML mapping');
      else raw = (parsed ?? {}) as Record<string, unknown>;
    } catch (error) {
      problem(`the config header is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const body = header ? text.slice(header[0].length) : text;
  if (!body.trim()) problem('the model has no SQL');
  const config = readConfig(raw, problem);
  const refs = [...new Set([...body.matchAll(REF)].map((m) => m[1]!))];
  const sources = [...new Map([...body.matchAll(SOURCE)].map((m) => [`${m[1]}.${m[2]}`, [m[1]!, m[2]!] as [string, string]])).values()];
  // The model comes back even with problems, so that its refs and sources are checked too.
  return { model: { name, path, config, body, refs, sources }, problems };
}

function readConfig(raw: Record<string, unknown>, problem: (message: string) => void): ModelConfig {
  const known = new Set(['materialized', 'unique_key', 'tags', 'description', 'columns']);
  for (const key of Object.keys(raw)) if (!known.has(key)) problem(`unknown config key "${key}" (known: ${[...known].join(', ')})`);
  const materialized = (raw.materialized ?? 'view') as Materialization;
  if (!MATERIALIZATIONS.includes(materialized)) problem(`materialized must be one of ${MATERIALIZATIONS.join(', ')}; got "${String(raw.materialized)}"`);
  const uniqueKey = stringList(raw.unique_key, 'unique_key', problem);
  const tags = stringList(raw.tags, 'tags', problem);
  const columns: ModelConfig['columns'] = {};
  if (raw.columns !== undefined && (typeof raw.columns !== 'object' || raw.columns === null || Array.isArray(raw.columns))) {
    problem('columns must be a mapping of column name to { description, tests }');
  } else {
    for (const [column, spec] of Object.entries((raw.columns ?? {}) as Record<string, { description?: unknown; tests?: unknown }>)) {
      columns[column] = { description: String(spec?.description ?? ''), tests: readTests(column, spec?.tests, problem) };
    }
  }
  return { materialized, uniqueKey, tags, description: String(raw.description ?? ''), columns };
}

function readTests(column: string, raw: unknown, problem: (message: string) => void): ColumnTest[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problem(`columns.${column}.tests must be a list`);
    return [];
  }
  return raw.flatMap((entry): ColumnTest[] => {
    const [name, args] = typeof entry === 'string' ? [entry, {}] : Object.entries(entry as object)[0] ?? ['', {}];
    if (!(GENERIC_TESTS as readonly string[]).includes(name)) {
      problem(`columns.${column}: unknown test "${name}" (known: ${GENERIC_TESTS.join(', ')})`);
      return [];
    }
    const options = (args ?? {}) as { severity?: string; values?: unknown[]; to?: string; field?: string };
    const severity = options.severity === 'warn' ? 'warn' : 'error';
    if (name === 'accepted_values' && !Array.isArray(options.values)) problem(`columns.${column}: accepted_values needs values: [...]`);
    if (name === 'relationships' && (!options.to || !options.field)) problem(`columns.${column}: relationships needs to: <model> and field: <column>`);
    return [{ name: name as ColumnTest['name'], severity, values: options.values?.map(String), to: options.to, field: options.field }];
  });
}

function stringList(value: unknown, key: string, problem: (message: string) => void): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  problem(`${key} must be a name or a list of names`);
  return [];
}
