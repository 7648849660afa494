import { assertIdentifier, type TableDefinition } from '../warehouse/index.ts';
import type { StateRow } from './state-store.ts';

/**
 * Rows go to DuckDB as one JSON text (`source`: a bound parameter or a string literal), not
 * as a VALUES list of a parameter per cell: binding hundreds of values, and parsing and
 * planning a statement that differs with the number of rows, both happen on Node's main
 * thread and cost more than the insert itself. Every field is read as text and cast by the
 * INSERT, as a bound text would be: a value the column cannot hold is refused, never
 * turned into NULL.
 */
export function insertFromJsonSql(table: TableDefinition, columns: readonly string[], source: string, suffix = ''): string {
  const known = new Set(table.columns.map((column) => column.name));
  for (const column of columns) {
    assertIdentifier(column);
    if (!known.has(column)) throw new Error(`${table.name} has no column ${column}`);
  }
  const shape = `[{${columns.map((column) => `"${column}": "VARCHAR"`).join(', ')}}]`;
  return `INSERT INTO ${assertIdentifier(table.name)} (${columns.join(', ')}) SELECT unnest(from_json(${source}, '${shape}'), recursive := true)${suffix}`;
}

/** The rows' `columns` as the JSON text `insertFromJsonSql` takes. */
export function rowsAsJson(rows: readonly StateRow[], columns: readonly string[]): string {
  return JSON.stringify(rows.map((row) => {
    const out: Record<string, string | number | null> = {};
    for (const column of columns) out[column] = jsonField(row[column]);
    return out;
  }));
}

function jsonField(value: StateRow[string] | undefined): string | number | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
