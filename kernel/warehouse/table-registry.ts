import type { EngineName } from './warehouse.ts';

/** A column's type, as both engines store it (`nativeType` gives each engine's name). */
export type ColumnType = 'text' | 'json' | 'timestamp' | 'bigint' | 'integer' | 'count' | 'flag' | 'decimal';

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  /** May hold NULL (ClickHouse `Nullable(…)`); otherwise an empty value is written as the type's own ('' or 0). */
  readonly nullable?: boolean;
}

/**
 * How long rows are kept and how they are erased (platform/retention reads this): `raw-events`,
 * `quarantine`, `bills`, `run-history` and `decision-log` age out by their window
 * (`COMPANYOS_RETENTION`), measured on the table's `expiresBy` column; `evidence` loses its content
 * (`expiresPayload`) but keeps its digest; `audit` keeps every receipt for ever, and only the ledger's
 * hidden fields (salted disclosures) go at its window, so receipts still verify; `financial-record`
 * (invoices) goes after the legal period; `operational` while the thing it describes exists;
 * `ephemeral` and `system` are the warehouse's own.
 */
export type RetentionClass = 'raw-events' | 'quarantine' | 'bills' | 'run-history' | 'decision-log' | 'evidence' | 'audit' | 'financial-record' | 'operational' | 'ephemeral' | 'system';

/** A table, declared once: its columns, key, tenant column, retention class and the storage it needs. */
export interface TableDefinition {
  readonly name: string;
  /** The folder whose code writes it. */
  readonly owner: string;
  /** The column that holds the tenant (the first of the key); null for the warehouse's own tables. */
  readonly tenantColumn: 'tenant_id' | null;
  readonly retention: RetentionClass;
  /** The timestamp column its retention window is measured on; absent: not expired by age. */
  readonly expiresBy?: string;
  /** A state table whose rows receipts name: its window empties these (nullable) columns and keeps the row. */
  readonly expiresPayload?: readonly string[];
  /** The sort key: ClickHouse's ORDER BY, and the identity of a row where the engine deduplicates. */
  readonly key: readonly string[];
  /**
   * ClickHouse storage. A `ReplacingMergeTree` keeps a row twice until a merge
   * (`capabilities.duplicatesUntilMerged`): reads that must not see that go through
   * `dialect.deduplicated`. `version` is the column a merge keeps the latest of.
   */
  readonly clickhouse: { readonly engine: 'MergeTree' | 'ReplacingMergeTree'; readonly version?: string; readonly partitionBy?: string };
  /** In storage order: the positional column lists of bulk inserts are derived from it (`columnNames`). */
  readonly columns: readonly ColumnDefinition[];
  /**
   * Present on operational state (entities, approvals, ledger sequencing, invoices): the table
   * lives in the `StateStore` (kernel/state), which enforces these unique keys in every
   * transaction; absent on analytical tables, which live in the warehouse.
   */
  readonly state?: {
    readonly unique: readonly (readonly string[])[];
    /** Row rules the store enforces on every writer (SQL CHECK expressions over the row's columns). */
    readonly checks?: readonly string[];
    /** Born in the state store: the warehouse's migrations never made it (unlike the tables that moved there). */
    readonly onlyInStateStore?: true;
    /**
     * Columns the platform reads rows by across tenants (a start's recovery of the last minutes, retention by age):
     * indexed where the store's engine uses an index for a range (PostgreSQL; DuckDB skips by its zone maps).
     */
    readonly ranges?: readonly string[];
    /**
     * Column lists a hot read looks rows up by, besides the unique keys (each request's unexpired grants by tenant,
     * grantee and expiry): an index each where the store's engine uses one (PostgreSQL).
     */
    readonly lookups?: readonly (readonly string[])[];
  };
}

/**
 * The kernel's and the platform's tables, each declared once; a pack declares its own in its folder
 * (`Pack.tables`), and `platformTables()` (surfaces/compose) is the whole registry. A test
 * (table-registry.test.ts) holds each engine's migrated schema to it and creates each table again
 * from `createTableSql`. Adapter-internal tables (ClickHouse's `events_keys` dedupe index) are the
 * adapter's own and not listed.
 */
export const TABLES: readonly TableDefinition[] = [
  {
    name: 'events',
    owner: 'platform/ingest',
    tenantColumn: 'tenant_id',
    retention: 'raw-events',
    expiresBy: 'ingested_at',
    key: ['tenant_id', 'type', 'time', 'source', 'id'],
    clickhouse: { engine: 'ReplacingMergeTree', version: 'ingested_at', partitionBy: 'toYYYYMM(time)' },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'source', type: 'text' },
      { name: 'id', type: 'text' },
      { name: 'type', type: 'text' },
      { name: 'time', type: 'timestamp' },
      { name: 'subject', type: 'text', nullable: true },
      { name: 'policy_version', type: 'text' },
      { name: 'plan', type: 'text', nullable: true },
      { name: 'feature', type: 'text', nullable: true },
      { name: 'flow_type', type: 'text', nullable: true },
      { name: 'sla_tier', type: 'text', nullable: true },
      { name: 'data_content_type', type: 'text', nullable: true },
      { name: 'data', type: 'json', nullable: true },
      { name: 'extensions', type: 'json', nullable: true },
      { name: 'channel', type: 'text' },
      { name: 'ingested_at', type: 'timestamp' },
    ],
  },
  {
    name: 'events_quarantine',
    owner: 'platform/ingest',
    tenantColumn: 'tenant_id',
    retention: 'quarantine',
    expiresBy: 'received_at',
    key: ['tenant_id', 'received_at', 'quarantine_id'],
    clickhouse: { engine: 'MergeTree', partitionBy: 'toYYYYMM(received_at)' },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'quarantine_id', type: 'text' },
      { name: 'received_at', type: 'timestamp' },
      { name: 'channel', type: 'text' },
      { name: 'batch_index', type: 'integer', nullable: true },
      { name: 'event_id', type: 'text', nullable: true },
      { name: 'event_source', type: 'text', nullable: true },
      { name: 'reason_code', type: 'text' },
      { name: 'reason_text', type: 'text' },
      { name: 'payload', type: 'text' },
    ],
  },
  {
    name: 'build_runs',
    owner: 'platform/transforms',
    tenantColumn: 'tenant_id',
    retention: 'run-history',
    expiresBy: 'started_at',
    key: ['tenant_id', 'started_at', 'run_id'],
    clickhouse: { engine: 'MergeTree', partitionBy: 'toYYYYMM(started_at)' },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'run_id', type: 'text' },
      { name: 'trigger', type: 'text' },
      { name: 'started_at', type: 'timestamp' },
      { name: 'finished_at', type: 'timestamp' },
      { name: 'status', type: 'text' },
      { name: 'models_ok', type: 'integer' },
      { name: 'models_error', type: 'integer' },
      { name: 'models_skipped', type: 'integer' },
      { name: 'message', type: 'text' },
    ],
  },
  {
    name: 'model_states',
    owner: 'platform/transforms',
    tenantColumn: 'tenant_id',
    retention: 'run-history',
    expiresBy: 'built_at',
    key: ['tenant_id', 'model', 'recorded_id'],
    clickhouse: { engine: 'MergeTree', partitionBy: 'toYYYYMM(built_at)' },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'model', type: 'text' },
      { name: 'recorded_id', type: 'text' },
      { name: 'run_id', type: 'text' },
      { name: 'inputs', type: 'text' },
      { name: 'content', type: 'text' },
      { name: 'row_count', type: 'bigint' },
      { name: 'built_at', type: 'timestamp' },
    ],
  },
  {
    name: 'lineage_runs',
    owner: 'platform/transforms',
    tenantColumn: 'tenant_id',
    retention: 'run-history',
    expiresBy: 'event_time',
    key: ['tenant_id', 'job_name', 'event_time', 'run_id'],
    clickhouse: { engine: 'MergeTree', partitionBy: 'toYYYYMM(event_time)' },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'run_id', type: 'text' },
      { name: 'parent_run_id', type: 'text', nullable: true },
      { name: 'job_name', type: 'text' },
      { name: 'event_type', type: 'text' },
      { name: 'event_time', type: 'timestamp' },
      { name: 'event', type: 'json' },
    ],
  },
  {
    name: 'lineage_nodes',
    owner: 'platform/transforms',
    tenantColumn: 'tenant_id',
    retention: 'run-history',
    expiresBy: 'recorded_at',
    key: ['tenant_id', 'build_run_id', 'name'],
    clickhouse: { engine: 'MergeTree', partitionBy: 'toYYYYMM(recorded_at)' },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'build_run_id', type: 'text' },
      { name: 'recorded_at', type: 'timestamp' },
      { name: 'name', type: 'text' },
      { name: 'kind', type: 'text' },
      { name: 'meter', type: 'text' },
      { name: 'materialized', type: 'text' },
      { name: 'description', type: 'text' },
    ],
  },
  {
    name: 'lineage_edges',
    owner: 'platform/transforms',
    tenantColumn: 'tenant_id',
    retention: 'run-history',
    expiresBy: 'recorded_at',
    key: ['tenant_id', 'build_run_id', 'upstream', 'downstream'],
    clickhouse: { engine: 'MergeTree', partitionBy: 'toYYYYMM(recorded_at)' },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'build_run_id', type: 'text' },
      { name: 'recorded_at', type: 'timestamp' },
      { name: 'upstream', type: 'text' },
      { name: 'downstream', type: 'text' },
    ],
  },
  {
    name: 'policy_decisions',
    owner: 'platform/governance',
    tenantColumn: 'tenant_id',
    retention: 'decision-log',
    expiresBy: 'decided_at',
    key: ['tenant_id', 'decided_at', 'decision_id'],
    clickhouse: { engine: 'MergeTree' },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'decision_id', type: 'text' },
      { name: 'decided_at', type: 'timestamp' },
      { name: 'path', type: 'text' },
      { name: 'principal', type: 'text' },
      { name: 'action', type: 'text' },
      { name: 'resource', type: 'text' },
      { name: 'resource_tenant', type: 'text' },
      { name: 'decision', type: 'text' },
      { name: 'reasons', type: 'text' },
      { name: 'input', type: 'text' },
      { name: 'result', type: 'text' },
      { name: 'bundle_name', type: 'text' },
      { name: 'bundle_revision', type: 'text' },
      { name: 'erased', type: 'text' },
      { name: 'masked', type: 'text' },
      { name: 'trace_id', type: 'text' },
      { name: 'method', type: 'text' },
      { name: 'route', type: 'text' },
    ],
  },
  {
    name: 'ledger_entries',
    owner: 'platform/governance',
    tenantColumn: 'tenant_id',
    retention: 'audit',
    expiresBy: 'appended_at',
    key: ['tenant_id', 'log_index'],
    clickhouse: { engine: 'MergeTree' },
    state: { unique: [['tenant_id', 'log_index'], ['tenant_id', 'receipt_id']], ranges: ['appended_at'] },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'log_index', type: 'bigint' },
      { name: 'receipt_id', type: 'text' },
      { name: 'entry', type: 'text' },
      { name: 'leaf_hash', type: 'text' },
      { name: 'disclosures', type: 'text' },
      { name: 'key_id', type: 'text' },
      { name: 'appended_at', type: 'timestamp' },
    ],
  },
  {
    name: 'ledger_checkpoints',
    owner: 'platform/governance',
    tenantColumn: 'tenant_id',
    retention: 'audit',
    key: ['tenant_id', 'tree_size'],
    clickhouse: { engine: 'MergeTree' },
    state: { unique: [['tenant_id', 'tree_size']] },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'tree_size', type: 'bigint' },
      { name: 'root_hash', type: 'text' },
      { name: 'note', type: 'text' },
      { name: 'key_id', type: 'text' },
      { name: 'signed_at', type: 'timestamp' },
    ],
  },
  {
    name: 'evidence',
    owner: 'platform/governance',
    tenantColumn: 'tenant_id',
    retention: 'evidence',
    expiresBy: 'attached_at',
    expiresPayload: ['content'],
    key: ['tenant_id', 'bundle_id', 'evidence_id'],
    clickhouse: { engine: 'MergeTree' },
    state: { unique: [['tenant_id', 'evidence_id', 'status']] },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'evidence_id', type: 'text' },
      { name: 'bundle_id', type: 'text' },
      { name: 'receipt_id', type: 'text', nullable: true },
      { name: 'kind', type: 'text' },
      { name: 'name', type: 'text' },
      { name: 'sha256', type: 'text' },
      { name: 'size_bytes', type: 'bigint', nullable: true },
      { name: 'content', type: 'text', nullable: true },
      { name: 'attach_receipt_id', type: 'text' },
      { name: 'attached_by', type: 'text' },
      { name: 'attached_at', type: 'timestamp' },
      { name: 'status', type: 'text' },
    ],
  },
  {
    name: 'entities',
    owner: 'platform/governance',
    tenantColumn: 'tenant_id',
    retention: 'operational',
    key: ['tenant_id', 'entity_id', 'version'],
    clickhouse: { engine: 'MergeTree' },
    state: { unique: [['tenant_id', 'entity_id', 'version']] },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'entity_id', type: 'text' },
      { name: 'version', type: 'bigint' },
      { name: 'entity_type', type: 'text' },
      { name: 'name', type: 'text' },
      { name: 'data_class', type: 'text' },
      { name: 'region', type: 'text' },
      { name: 'attributes', type: 'text' },
      { name: 'deleted', type: 'flag' },
      { name: 'recorded_by', type: 'text' },
      { name: 'recorded_at', type: 'timestamp' },
    ],
  },
  {
    name: 'entity_edges',
    owner: 'platform/governance',
    tenantColumn: 'tenant_id',
    retention: 'operational',
    key: ['tenant_id', 'src_id', 'dst_id', 'edge_id'],
    clickhouse: { engine: 'MergeTree' },
    state: { unique: [['tenant_id', 'edge_id', 'version']] },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'edge_id', type: 'text' },
      { name: 'version', type: 'bigint' },
      { name: 'edge_type', type: 'text' },
      { name: 'src_id', type: 'text' },
      { name: 'dst_id', type: 'text' },
      { name: 'attributes', type: 'text' },
      { name: 'deleted', type: 'flag' },
      { name: 'recorded_by', type: 'text' },
      { name: 'recorded_at', type: 'timestamp' },
    ],
  },
  {
    name: 'approval_requests',
    owner: 'platform/governance',
    tenantColumn: 'tenant_id',
    retention: 'audit',
    key: ['tenant_id', 'entity_id', 'requested_at'],
    clickhouse: { engine: 'MergeTree' },
    state: { unique: [['tenant_id', 'request_id']] },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'request_id', type: 'text' },
      { name: 'entity_id', type: 'text' },
      { name: 'action', type: 'text' },
      { name: 'requested_by', type: 'text' },
      { name: 'requested_at', type: 'timestamp' },
      { name: 'decision_id', type: 'text' },
    ],
  },
  {
    name: 'approvals',
    owner: 'platform/governance',
    tenantColumn: 'tenant_id',
    retention: 'audit',
    key: ['tenant_id', 'entity_id', 'approved_at'],
    clickhouse: { engine: 'MergeTree' },
    state: { unique: [['tenant_id', 'approval_id', 'status']] },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'approval_id', type: 'text' },
      { name: 'request_id', type: 'text' },
      { name: 'entity_id', type: 'text' },
      { name: 'action', type: 'text' },
      { name: 'requested_by', type: 'text' },
      { name: 'approver', type: 'text' },
      { name: 'rationale_category', type: 'text' },
      { name: 'rationale', type: 'text' },
      { name: 'evidence_ids', type: 'text' },
      { name: 'approved_at', type: 'timestamp' },
      { name: 'status', type: 'text' },
    ],
  },
  {
    name: 'readiness_probe',
    owner: 'kernel/warehouse',
    tenantColumn: null,
    retention: 'ephemeral',
    key: ['probe_id'],
    clickhouse: { engine: 'ReplacingMergeTree', version: 'probed_at' },
    columns: [
      { name: 'probe_id', type: 'text' },
      { name: 'probed_at', type: 'timestamp' },
    ],
  },
  {
    name: 'schema_migrations',
    owner: 'kernel/warehouse',
    tenantColumn: null,
    retention: 'system',
    key: ['version'],
    clickhouse: { engine: 'MergeTree' },
    columns: [
      { name: 'version', type: 'count' },
      { name: 'name', type: 'text' },
      { name: 'checksum', type: 'text' },
      { name: 'applied_at', type: 'timestamp' },
    ],
  },
];

const BY_NAME = new Map(TABLES.map((table) => [table.name, table]));

export function tableNamed(name: string): TableDefinition {
  const table = BY_NAME.get(name);
  if (!table) throw new Error(`no table named ${name} is registered (kernel/warehouse/table-registry.ts)`);
  return table;
}

/** A kernel or platform table's columns in storage order: the positional list a bulk insert writes. */
export function columnNames(name: string): readonly string[] {
  return columnsOf(tableNamed(name));
}

/** A table's columns in storage order. */
export function columnsOf(table: TableDefinition): readonly string[] {
  return table.columns.map((column) => column.name);
}

const DUCKDB_TYPES: Record<ColumnType, string> = {
  text: 'VARCHAR', json: 'JSON', timestamp: 'TIMESTAMP', bigint: 'BIGINT', integer: 'INTEGER', count: 'INTEGER', flag: 'INTEGER', decimal: 'DECIMAL(38,10)',
};
const CLICKHOUSE_TYPES: Record<ColumnType, string> = {
  text: 'String', json: 'String', timestamp: "DateTime('UTC')", bigint: 'Int64', integer: 'Int32', count: 'UInt32', flag: 'UInt8', decimal: 'Decimal(38, 10)',
};

/** The engine's name for a column's type, as it reports it back (`Warehouse.columns`). */
export function nativeType(column: ColumnDefinition, engine: EngineName): string {
  if (engine === 'duckdb') return DUCKDB_TYPES[column.type];
  const type = CLICKHOUSE_TYPES[column.type];
  return column.nullable ? `Nullable(${type})` : type;
}

/** The CREATE TABLE statement for `table` on `engine`, named `as` (default: its own name). */
export function createTableSql(table: TableDefinition, engine: EngineName, as = table.name): string {
  const columns = table.columns.map((column) => {
    const notNull = engine === 'duckdb' && !column.nullable ? ' NOT NULL' : '';
    return `  ${column.name} ${nativeType(column, engine)}${notNull}`;
  });
  const create = `CREATE TABLE ${as} (\n${columns.join(',\n')}\n)`;
  if (engine === 'duckdb') return create;
  const { engine: storage, version, partitionBy } = table.clickhouse;
  return `${create} ENGINE = ${storage}${version ? `(${version})` : ''}${partitionBy ? ` PARTITION BY ${partitionBy}` : ''} ORDER BY (${table.key.join(', ')})`;
}
