export type { Dialect, EngineName, RelationKind, Row, SqlValue, UniqueInsert, UniqueInsertResult, Warehouse } from './warehouse.ts';
export { WarehouseError, WarehouseLockedError, MigrationError } from './errors.ts';
export { openWarehouse, migrateWarehouse, ENGINES, type WarehouseConfig } from './open-warehouse.ts';
export type { Migration, MigrationReport } from './migrations.ts';
export { DuckDBWarehouse } from './duckdb/duckdb-warehouse.ts';
export { EVENT_COLUMNS, QUARANTINE_COLUMNS } from './tables.ts';
export { assertIdentifier } from './identifier.ts';
export { ClickHouseWarehouse } from './clickhouse/clickhouse-warehouse.ts';
