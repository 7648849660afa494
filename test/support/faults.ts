import { ensureStateSchema, uniqueIndexName, type StateStore } from '../../kernel/state/index.ts';
import { tableNamed } from '../../kernel/warehouse/index.ts';

/**
 * Makes the receipt ledger unwritable, on the real engine, until the answered function puts it
 * back: the state store's `ledger_entries` is renamed away (its unique indexes dropped first, as
 * DuckDB renames only a table without them), so every append fails as a lost table would.
 */
export async function takeLedgerOffline(state: StateStore): Promise<() => Promise<void>> {
  const table = tableNamed('ledger_entries');
  await state.transaction(async (tx) => {
    for (const position of table.state!.unique.keys()) await tx.query(`DROP INDEX IF EXISTS ${uniqueIndexName(table, position)}`);
    await tx.query('ALTER TABLE ledger_entries RENAME TO ledger_entries_off');
  });
  return async () => {
    await state.transaction((tx) => tx.query('ALTER TABLE ledger_entries_off RENAME TO ledger_entries'));
    await ensureStateSchema(state);
  };
}
