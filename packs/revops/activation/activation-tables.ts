import type { TableDefinition } from '../../../kernel/warehouse/index.ts';

/** Customers activated from signed contracts: one row per won quote, insert-only. */
export const ACTIVATION_TABLES: readonly TableDefinition[] = [
  {
    owner: 'packs/revops',
    tenantColumn: 'tenant_id',
    retention: 'audit',
    clickhouse: { engine: 'MergeTree' },
    name: 'revops_activations',
    key: ['tenant_id', 'quote_id'],
    state: { unique: [['tenant_id', 'quote_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'quote_id', type: 'text' },
      { name: 'run_id', type: 'text' },
      { name: 'customer_tenant', type: 'text' },
      { name: 'plan', type: 'text' },
      { name: 'packs', type: 'json' },
      { name: 'signed_at', type: 'timestamp' },
      { name: 'activated_at', type: 'timestamp' },
    ],
  },
];
