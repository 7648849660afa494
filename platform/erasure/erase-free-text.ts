import type { StateStore } from '../../kernel/state/index.ts';

/** Free text people write into operational records (rationales), which may name a subject; each with the columns that find its row. */
export const FREE_TEXT_COLUMNS: readonly { table: string; key: readonly string[]; column: string }[] = [
  { table: 'approvals', key: ['approval_id', 'status'], column: 'rationale' },
  { table: 'workflow_runs', key: ['run_id'], column: 'rationale' },
  { table: 'workflow_approvals', key: ['run_id', 'approver'], column: 'rationale' },
];

/** Replaces each of the tenant's free-text values holding `text` by a note naming the purge; how many. */
export async function eraseFreeText(state: StateStore, tenant: string, text: string, purgeId: string): Promise<number> {
  let erased = 0;
  for (const { table, key, column } of FREE_TEXT_COLUMNS) {
    const rows = await state.query<Record<string, string>>(
      `SELECT ${[...key, column].join(', ')} FROM ${table} WHERE tenant_id = ? AND strpos(${column}, ?) > 0`,
      [tenant, text],
    );
    if (rows.length === 0) continue;
    await state.transaction(async (tx) => {
      for (const row of rows) {
        const where = Object.fromEntries([['tenant_id', tenant], ...key.map((k) => [k, row[k]!])]);
        const changed = await tx.compareAndSet(table, where, { [column]: row[column]! }, { [column]: `erased by ${purgeId}` });
        if (!changed) throw new Error(`a ${table} row changed while it was erased; run the erasure again`);
      }
    });
    erased += rows.length;
  }
  return erased;
}
