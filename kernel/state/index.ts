export type { Numbering, StateEngineName, StateReader, StateRow, StateStore, StateTransaction, TransactionOptions } from './state-store.ts';
export { DuckDBStateStore } from './duckdb-state-store.ts';
export { STATE_FILE, openStateStore, type StateStoreOptions } from './open-state-store.ts';
export { ensureStateSchema, uniqueIndexName } from './state-schema.ts';
export { importFromWarehouse } from './import-from-warehouse.ts';
export { PostgresStateStore } from './postgres-state-store.ts';
