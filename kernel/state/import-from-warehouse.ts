import type { Warehouse } from '../warehouse/index.ts';
import type { StateStore } from './state-store.ts';

/** Rows copied per statement. */
const BATCH = 5_000;

/**
 * Before the state store, operational state lived in the warehouse. When the state has a
 * store of its own (beside ClickHouse) and that store is still empty, the warehouse's rows
 * are copied in, all tables in one transaction, so nothing written before the upgrade is
 * lost. A store that holds anything is never overwritten. Answers the rows copied per table.
 */
export async function importFromWarehouse(state: StateStore, warehouse: Warehouse): Promise<Record<string, number>> {
  for (const table of state.tables) {
    const [row] = await state.query<{ n: number }>(`SELECT count(*) AS n FROM ${table.name}`);
    if (Number(row?.n) > 0) return {};
  }
  const copied: Record<string, number> = {};
  await state.transaction(async (tx) => {
    for (const table of state.tables) {
      if (!(await warehouse.hasRelation(table.name))) continue;
      const columns = table.columns.map((column) => column.name);
      const rows = await warehouse.query(`SELECT ${columns.join(', ')} FROM ${table.name}`);
      let inserted = 0;
      // A row stored twice (a retried write) is one row of state.
      for (let at = 0; at < rows.length; at += BATCH) inserted += await tx.insertNew(table.name, rows.slice(at, at + BATCH));
      if (inserted > 0) copied[table.name] = inserted;
    }
  });
  return copied;
}
