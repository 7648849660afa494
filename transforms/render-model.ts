import type { Dialect } from '../warehouse/index.ts';
import type { CompiledProject } from './compile-project.ts';
import type { ModelFile } from './model-file.ts';

export interface RenderContext {
  dialect: Dialect;
  project: CompiledProject;
  /** True when an incremental model adds to its existing table (not a first or full-refresh build). */
  isIncremental: boolean;
}

const INCREMENTAL_BLOCK = /\{%-?\s*if\s+is_incremental\(\)\s*-?%\}([\s\S]*?)\{%-?\s*endif\s*-?%\}/g;

/**
 * The model's SQL as the engine runs it, with dbt's syntax: `{{ ref('m') }}`
 * becomes the model's relation (a deduplicated read for models merged by key),
 * `{{ source('raw', 't') }}` a deduplicated read of the raw table,
 * `{{ this }}` the model's own table, `{% if is_incremental() %} … {% endif %}`
 * is kept only on incremental runs, and the dialect macros `json_string`,
 * `json_number` and `time_window` become the engine's SQL.
 */
export function renderModel(model: ModelFile, context: RenderContext): string {
  const { dialect, project } = context;
  return model.body
    .replace(INCREMENTAL_BLOCK, (_, block: string) => (context.isIncremental ? block : ''))
    .replace(/\{\{\s*this\s*\}\}/g, model.name)
    .replace(/\{\{\s*json_string\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}/g, (_, column: string, key: string) => dialect.jsonString(column, key))
    .replace(/\{\{\s*json_number\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}/g, (_, column: string, key: string) => dialect.jsonNumber(column, key))
    .replace(/\{\{\s*time_window\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}/g, (_, unit: string, column: string) => dialect.timeWindow(unit as 'hour', column))
    .replace(/\{\{\s*ref\(\s*'([^']+)'\s*\)\s*\}\}/g, (_, name: string) => {
      const target = project.models.get(name)!;
      return mergedByKey(target) ? `(SELECT * FROM ${dialect.deduplicated(name)})` : name;
    })
    .replace(/\{\{\s*source\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}/g, (_, _source: string, table: string) => `(SELECT * FROM ${dialect.deduplicated(table)})`)
    .trim()
    .replace(/;\s*$/, '');
}

/** An incremental model with a unique key: rows are replaced by key, so reads go through the dedupe. */
export function mergedByKey(model: ModelFile): boolean {
  return model.config.materialized === 'incremental' && model.config.uniqueKey.length > 0;
}
