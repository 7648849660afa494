import type { StateStore } from '../../kernel/state/index.ts';
import type { SqlValue, TableDefinition } from '../../kernel/warehouse/index.ts';
import { redactDisclosures, type LedgerStore, type Redaction } from '../governance/index.ts';
import { isoOf, type Tombstone } from './expire-rows.ts';
import { EXPIRING_CLASSES, type ExpiringClass, type RetentionWindows } from './retention-windows.ts';

const DAY_MS = 86_400_000;
/** Rows changed per transaction: a long expiry does not hold one transaction open. */
const BATCH = 1_000;

type ExpiringStateTable = TableDefinition & { expiresBy: string; retention: ExpiringClass; state: NonNullable<TableDefinition['state']> };

/** The state tables an expiry sweeps: tenant tables with a window measured on a column. */
export function expiringStateTables(tables: readonly TableDefinition[]): ExpiringStateTable[] {
  return tables.filter((t): t is ExpiringStateTable =>
    t.expiresBy !== undefined && t.tenantColumn !== null && t.state !== undefined && EXPIRING_CLASSES.includes(t.retention as ExpiringClass));
}

export interface StateExpiry {
  tombstones: Tombstone[];
  /** The receipts' disclosures removed (class `audit`), each marked under `purgeId`. */
  redactions: Redaction[];
}

/**
 * Expires what the state store holds past its window. Receipts name these rows, so what goes
 * depends on the table: the ledger (`audit`) keeps every entry and loses only the disclosures of
 * its hidden fields (redaction markers under `purgeId`: each receipt still verifies); a table with
 * `expiresPayload` keeps its rows and loses those columns (evidence keeps its SHA-256, its content
 * goes); any other (invoices) loses the rows, deleted by their unique key.
 */
export async function expireState(state: StateStore, ledger: LedgerStore | undefined, tables: readonly TableDefinition[], windows: RetentionWindows, now: Date, purgeId: string): Promise<StateExpiry> {
  const expiry: StateExpiry = { tombstones: [], redactions: [] };
  for (const table of expiringStateTables(tables)) {
    const days = windows[table.retention];
    if (days === null) continue;
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    if (table.name === 'ledger_entries') {
      if (ledger) await redactExpired(state, ledger, table, cutoff, purgeId, now, expiry);
      continue;
    }
    const payload = table.expiresPayload ?? [];
    const key = table.state.unique[0]!;
    const pending = payload.length > 0 ? ` AND (${payload.map((column) => `${column} IS NOT NULL`).join(' OR ')})` : '';
    const rows = await state.query<Record<string, SqlValue>>(
      `SELECT ${[...key, table.expiresBy].join(', ')} FROM ${table.name} WHERE ${table.expiresBy} < ?${pending} ORDER BY ${key.join(', ')}`,
      [cutoff],
    );
    for (let at = 0; at < rows.length; at += BATCH) {
      await state.transaction(async (tx) => {
        for (const row of rows.slice(at, at + BATCH)) {
          const where = Object.fromEntries(key.map((column) => [column, row[column]!]));
          if (payload.length > 0) await tx.compareAndSet(table.name, where, {}, Object.fromEntries(payload.map((column) => [column, null])));
          else await tx.delete(table.name, where);
        }
      });
    }
    expiry.tombstones.push(...tombstonesOf(table, rows.map((row) => ({ tenant: String(row.tenant_id), at: row[table.expiresBy]! })), cutoff));
  }
  return expiry;
}

/** Every tenant's receipts appended before the cutoff lose their disclosures; one read finds the tenants and the time each range spans. */
async function redactExpired(state: StateStore, ledger: LedgerStore, table: ExpiringStateTable, cutoff: Date, purgeId: string, now: Date, expiry: StateExpiry): Promise<void> {
  const tenants = await state.query<{ tenant_id: string; oldest: SqlValue; newest: SqlValue }>(
    "SELECT tenant_id, min(appended_at) AS oldest, max(appended_at) AS newest FROM ledger_entries WHERE appended_at < ? AND disclosures <> '[]' GROUP BY tenant_id ORDER BY tenant_id",
    [cutoff],
  );
  for (const { tenant_id: tenant, oldest, newest } of tenants) {
    const redactions = await redactDisclosures(state, ledger, tenant, { appendedBefore: cutoff }, purgeId, now);
    if (redactions.length === 0) continue;
    expiry.redactions.push(...redactions);
    const receipts = new Set(redactions.map((r) => r.receiptId)).size;
    expiry.tombstones.push({ tenant, dataClass: table.retention, table: table.name, rows: receipts, from: isoOf(oldest), to: isoOf(newest), cutoff: cutoff.toISOString() });
  }
}

function tombstonesOf(table: ExpiringStateTable, rows: readonly { tenant: string; at: SqlValue }[], cutoff: Date): Tombstone[] {
  const byTenant = new Map<string, string[]>();
  for (const row of rows) {
    const times = byTenant.get(row.tenant) ?? [];
    times.push(isoOf(row.at));
    byTenant.set(row.tenant, times);
  }
  return [...byTenant].map(([tenant, times]) => {
    times.sort();
    return { tenant, dataClass: table.retention, table: table.name, rows: times.length, from: times[0]!, to: times.at(-1)!, cutoff: cutoff.toISOString() };
  });
}
