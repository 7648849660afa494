import { assertIdentifier } from '../identifier.ts';
import type { SqlValue } from '../warehouse.ts';

/**
 * The rows' JSON text as a parameter of a kept statement. Typed, because DuckDB binds and plans a
 * statement again at every run while a parameter's type is unknown (`from_json(?)` alone), which
 * doubles an insert's cost.
 */
export const JSON_PARAMETER = '?::VARCHAR';

/**
 * Rows go to DuckDB as one JSON text (`source`: a bound parameter), not as a VALUES list of a
 * parameter per cell: binding hundreds of values, and preparing a statement that differs with
 * the number of rows, both happen on Node's main thread and cost more than the insert itself.
 * The text is an array of tuples (a row's values in `columns` order), which serializes about 10%
 * faster than objects and parses faster in DuckDB. Every field is read as text and cast by the
 * INSERT, as a bound text would be: a value the column cannot hold is refused, never turned into NULL.
 */
export function insertFromJsonSql(table: string, columns: readonly string[], suffix = ''): string {
  for (const column of columns) assertIdentifier(column);
  const fields = columns.map((_, i) => `json_row[${i + 1}]`).join(', ');
  return `INSERT INTO ${assertIdentifier(table)} (${columns.join(', ')}) SELECT ${fields} FROM (SELECT unnest(from_json(${JSON_PARAMETER}, '[["VARCHAR"]]')) AS json_row)${suffix}`;
}

/** Rows given as objects: their `columns` as the JSON text `insertFromJsonSql` takes. */
export function rowsAsJson(rows: readonly Readonly<Record<string, SqlValue | undefined>>[], columns: readonly string[]): string {
  return JSON.stringify(rows.map((row) => columns.map((column) => jsonField(row[column]))));
}

/** Rows given as tuples in the order of `columns`: the JSON text `insertFromJsonSql` takes. */
export function tuplesAsJson(rows: readonly (readonly SqlValue[])[], columns: readonly string[]): string {
  const width = columns.length;
  return JSON.stringify(rows.map((row) => {
    const out: (string | number | null)[] = new Array(width);
    for (let i = 0; i < width; i++) out[i] = jsonField(row[i]);
    return out;
  }));
}

/**
 * The two instants last written and their text, the most recent first: a batch's rows share
 * one (their receive time) between their own, and `toISOString` is half a row's serialization.
 */
const recentDates = [{ ms: Number.NaN, text: '' }, { ms: Number.NaN, text: '' }];

function dateText(date: Date): string {
  const ms = date.getTime();
  const [latest, older] = recentDates as [{ ms: number; text: string }, { ms: number; text: string }];
  if (latest.ms === ms) return latest.text;
  if (older.ms !== ms) {
    older.ms = ms;
    older.text = date.toISOString();
  }
  recentDates.reverse();
  return older.text;
}

function jsonField(value: SqlValue | undefined): string | number | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return dateText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  // JSON has no NaN or infinities (it would write null); DuckDB reads these spellings as doubles.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}
