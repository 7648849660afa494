import type { TableDefinition } from '../../../kernel/warehouse/index.ts';

const directoryTable = { owner: 'platform/identity', tenantColumn: 'tenant_id', retention: 'operational', clickhouse: { engine: 'MergeTree' } } as const;

/**
 * A tenant's people and groups as its identity provider provisions them over SCIM 2.0 (`ScimDirectory`):
 * each resource as JSON, a version per write (the ETag), and the keys uniqueness is enforced on.
 */
export const SCIM_TABLES: readonly TableDefinition[] = [
  {
    ...directoryTable,
    name: 'scim_users',
    key: ['tenant_id', 'user_id'],
    state: { unique: [['tenant_id', 'user_id'], ['tenant_id', 'user_name_key']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'user_id', type: 'text' },
      /** userName lower-cased: unique per tenant, whatever its case (RFC 7643 §4.1.1: caseExact false). */
      { name: 'user_name_key', type: 'text' },
      { name: 'external_id', type: 'text' },
      { name: 'active', type: 'flag' },
      /** 1: deleted (a tombstone: out of every read; its provider tokens keep failing). */
      { name: 'deleted', type: 'flag' },
      { name: 'resource', type: 'json' },
      { name: 'version', type: 'bigint' },
      { name: 'created_at', type: 'timestamp' },
      { name: 'updated_at', type: 'timestamp' },
    ],
  },
  {
    ...directoryTable,
    name: 'scim_groups',
    key: ['tenant_id', 'group_id'],
    state: { unique: [['tenant_id', 'group_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'group_id', type: 'text' },
      { name: 'display_name', type: 'text' },
      { name: 'resource', type: 'json' },
      { name: 'version', type: 'bigint' },
      { name: 'created_at', type: 'timestamp' },
      { name: 'updated_at', type: 'timestamp' },
    ],
  },
];
