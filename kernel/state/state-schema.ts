import { createTableSql, WarehouseError, type TableDefinition } from '../warehouse/index.ts';
import { postgresTableSql, SEQUENCES_TABLE_SQL } from './postgres-sql.ts';
import type { StateStore } from './state-store.ts';

/** The unique index enforcing one of a table's unique keys. */
export function uniqueIndexName(table: TableDefinition, position: number): string {
  return `${table.name}_unique_${position + 1}`;
}

/** The advisory lock key schema set-up holds on PostgreSQL (any fixed number no other lock of the database uses). */
const SCHEMA_LOCK = 0x636f53;

/** The index a range read of `column` across tenants uses (`state.ranges`), or a lookup by `columns` (`state.lookups`). */
export function readIndexName(table: TableDefinition, columns: string | readonly string[]): string {
  return `${table.name}_by_${[columns].flat().join('_')}`;
}

/**
 * Creates the store's tables (the registry's state tables), their unique indexes and (PostgreSQL) range and lookup indexes where missing, in one
 * transaction, and refuses to go on when a table's columns differ from its declaration
 * (a state table changes by a migration, never silently). In a DuckDB warehouse the
 * tables already exist (the warehouse's migrations 0004 and 0005 made them): this adds
 * the unique keys those tables did not have.
 */
export async function ensureStateSchema(store: StateStore): Promise<void> {
  await store.transaction(async (tx) => {
    // Replicas starting at once take turns: two creating the same index at once, one fails on PostgreSQL's catalog.
    if (store.engine === 'postgresql') await tx.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
    // One trip for every table (a store is opened for each test and server).
    const createSql = store.engine === 'postgresql' ? postgresTableSql : stateTableSql;
    const creates = [...store.tables.map(createSql), ...(store.engine === 'postgresql' ? [SEQUENCES_TABLE_SQL] : [])];
    if (creates.length > 0) await tx.query(creates.join(';\n'));
    // Every table's columns in one read.
    const rows = store.tables.length === 0 ? [] : await tx.query<{ table_name: string; name: string }>(
      `SELECT table_name, column_name AS name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name IN (${store.tables.map(() => '?').join(', ')}) ORDER BY table_name, ordinal_position`,
      store.tables.map((table) => table.name),
    );
    for (const table of store.tables) {
      const actual = rows.filter((row) => row.table_name === table.name).map((row) => row.name);
      const expected = table.columns.map((column) => column.name);
      if (actual.join() !== expected.join()) {
        throw new WarehouseError(`the state table ${table.name} has columns (${actual.join(', ')}), not the declared (${expected.join(', ')}): it needs a migration`);
      }
    }
    const indexes = store.tables.flatMap((table) => table.state!.unique.map((key, position) =>
      `CREATE UNIQUE INDEX IF NOT EXISTS ${uniqueIndexName(table, position)} ON ${table.name} (${key.join(', ')})`));
    if (store.engine === 'postgresql') {
      indexes.push(...store.tables.flatMap((table) => [...(table.state!.ranges ?? []).map((column) => [column]), ...(table.state!.lookups ?? [])].map((columns) =>
        `CREATE INDEX IF NOT EXISTS ${readIndexName(table, columns)} ON ${table.name} (${columns.join(', ')})`)));
    }
    if (indexes.length > 0) await tx.query(indexes.join(';\n'));
  });
}

/** The table's CREATE TABLE IF NOT EXISTS, with its row checks. */
function stateTableSql(table: TableDefinition): string {
  const create = createTableSql(table, 'duckdb').replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ');
  const checks = (table.state?.checks ?? []).map((check) => `,\n  CHECK (${check})`).join('');
  return `${create.slice(0, -2)}${checks}\n)`;
}
