import { PLAIN_DECIMAL, type SeedColumnKind } from '../../../kernel/warehouse/index.ts';
import type { ModelFile, ModelProblem } from '../model-file.ts';
import { CsvError, parseCsv } from './csv.ts';

export interface Seed {
  columns: { name: string; kind: SeedColumnKind }[];
  rows: string[][];
}

const COLUMN = /^[a-z_][a-z0-9_]*$/;
const INTEGER = /^-?[0-9]{1,18}$/;
const DECIMAL = new RegExp(`^${PLAIN_DECIMAL}$`);

/**
 * A CSV file under models/ as a seed: a table named after the file, columns
 * typed from their values (whole numbers BIGINT, decimals DECIMAL(38, 10),
 * anything else text; an empty field is NULL). Models `ref()` it.
 */
export function parseSeedFile(path: string, text: string): { model: ModelFile; problems: ModelProblem[] } {
  const name = path.split('/').pop()!.replace(/\.csv$/, '');
  const problems: ModelProblem[] = [];
  if (!COLUMN.test(name)) problems.push({ path, message: `seed name "${name}" must be lowercase letters, digits and _ (it becomes a table name)` });
  let seed: Seed = { columns: [], rows: [] };
  try {
    const { header, records } = parseCsv(text);
    for (const [i, column] of header.entries()) {
      if (!COLUMN.test(column)) problems.push({ path, message: `line 1, column ${i + 1}: "${column}" is not a plain lowercase column name` });
    }
    if (new Set(header).size !== header.length) problems.push({ path, message: 'line 1: a column name appears twice' });
    const rows = records.map((r) => r.fields);
    seed = { columns: header.map((column, i) => ({ name: column, kind: columnKind(rows.map((r) => r[i]!)) })), rows };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    problems.push({ path, message: error.message });
  }
  const model: ModelFile = {
    name,
    path,
    body: '',
    refs: [],
    sources: [],
    seed,
    config: { materialized: 'seed', uniqueKey: [], tags: ['seeds'], description: `seed loaded from ${path}`, columns: {} },
  };
  return { model, problems };
}

function columnKind(values: string[]): SeedColumnKind {
  const present = values.filter((v) => v !== '');
  if (!present.length) return 'text';
  if (present.every((v) => INTEGER.test(v))) return 'integer';
  if (present.every((v) => DECIMAL.test(v))) return 'decimal';
  return 'text';
}
