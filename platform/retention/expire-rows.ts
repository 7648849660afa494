import type { SqlValue, TableDefinition, Warehouse } from '../../kernel/warehouse/index.ts';
import { EXPIRING_CLASSES, type ExpiringClass, type RetentionWindows } from './retention-windows.ts';

const DAY_MS = 86_400_000;

/** What an expiry removed from one table for one tenant: counts and a time range, never the rows. */
export interface Tombstone {
  tenant: string;
  dataClass: ExpiringClass;
  table: string;
  rows: number;
  /** The oldest and newest `expiresBy` values removed (ISO 8601). */
  from: string;
  to: string;
  /** Rows older than this were removed. */
  cutoff: string;
}

/** The tables an expiry sweeps: tenant tables with a window measured on a column. */
export function expiringTables(tables: readonly TableDefinition[]): (TableDefinition & { expiresBy: string; retention: ExpiringClass })[] {
  return tables.filter((t): t is TableDefinition & { expiresBy: string; retention: ExpiringClass } =>
    t.expiresBy !== undefined && t.tenantColumn !== null && !t.state && EXPIRING_CLASSES.includes(t.retention as ExpiringClass));
}

/**
 * Deletes every row older than its class's window, table by table, and says what went, per
 * tenant. A row is counted before it is deleted under the same cutoff, so a row written
 * meanwhile (newer than the cutoff) is neither counted nor deleted.
 */
export async function expireRows(warehouse: Warehouse, tables: readonly TableDefinition[], windows: RetentionWindows, now: Date): Promise<Tombstone[]> {
  const tombstones: Tombstone[] = [];
  for (const table of expiringTables(tables)) {
    const days = windows[table.retention];
    if (days === null) continue;
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    const column = table.expiresBy;
    const removed = await warehouse.query<{ tenant_id: string; n: number | bigint; oldest: SqlValue; newest: SqlValue }>(
      `SELECT tenant_id, count(*) AS n, min(${column}) AS oldest, max(${column}) AS newest
         FROM ${readable(warehouse, table)} WHERE ${column} < ? GROUP BY tenant_id ORDER BY tenant_id`,
      [cutoff],
    );
    if (removed.length === 0) continue;
    await warehouse.deleteWhere(table.name, `${column} < ?`, [cutoff]);
    for (const row of removed) {
      tombstones.push({
        tenant: row.tenant_id,
        dataClass: table.retention,
        table: table.name,
        rows: Number(row.n),
        from: isoOf(row.oldest),
        to: isoOf(row.newest),
        cutoff: cutoff.toISOString(),
      });
    }
  }
  return tombstones;
}

/** A ReplacingMergeTree read without its unmerged duplicates; any other table as it is. */
export function readable(warehouse: Warehouse, table: TableDefinition): string {
  return table.clickhouse.engine === 'ReplacingMergeTree' ? warehouse.dialect.deduplicated(table.name) : table.name;
}

/** A timestamp as either engine returns it (a Date, or ClickHouse's zone-less UTC text) in ISO 8601. */
export function isoOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`).toISOString();
}
