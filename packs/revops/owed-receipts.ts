import type { StateStore } from '../../kernel/state/index.ts';

/**
 * Every tenant's rows of `table` (a decision table with `receipt_id`) whose receipt the tenant's
 * log does not hold: decisions stored and then interrupted before their receipt was appended.
 * An operator's read across tenants, for the pack's sweep.
 */
export function owedReceipts(state: StateStore, table: 'revops_routings' | 'revops_quote_approvals'): Promise<Record<string, unknown>[]> {
  return state.query(`SELECT d.* FROM ${table} d LEFT JOIN ledger_entries l ON l.tenant_id = d.tenant_id AND l.receipt_id = d.receipt_id
    WHERE l.receipt_id IS NULL ORDER BY d.tenant_id, d.receipt_id`);
}
