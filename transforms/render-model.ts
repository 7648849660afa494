import type { Dialect } from '../warehouse/index.ts';
import type { ModelFile } from './model-file.ts';

/**
 * The model's SQL as the engine runs it: `{{ ref('m') }}` becomes the model's
 * relation, `{{ source('raw', 't') }}` a deduplicated read of the raw table
 * (a subquery, so the model may alias it).
 */
export function renderModel(model: ModelFile, dialect: Dialect): string {
  return model.body
    .replace(/\{\{\s*ref\(\s*'([^']+)'\s*\)\s*\}\}/g, (_, name: string) => name)
    .replace(/\{\{\s*source\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}/g, (_, _source: string, table: string) => `(SELECT * FROM ${dialect.deduplicated(table)})`)
    .trim()
    .replace(/;\s*$/, '');
}
