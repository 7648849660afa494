import type { StateStore } from '../../kernel/state/index.ts';
import { DUCKDB_DIALECT } from '../../kernel/warehouse/index.ts';
import type { ScopeSource } from './tenant-scope.ts';

/**
 * The state store as a scope's source, so operational tables (invoices, approvals, the ledger)
 * are read through a `TenantScope` too. Its SQL is the DuckDB/PostgreSQL subset, whose macros
 * DuckDB's dialect renders; it has no duplicates awaiting a merge.
 */
export function stateSource(state: StateStore): ScopeSource {
  return {
    dialect: DUCKDB_DIALECT,
    query: (sql, params) => state.query(sql, params),
    hasRelation: async (name) =>
      (await state.query('SELECT 1 AS found FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()', [name])).length > 0,
  };
}
