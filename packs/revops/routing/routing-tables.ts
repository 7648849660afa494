import type { TableDefinition } from '../../../kernel/warehouse/index.ts';

const table = { owner: 'packs/revops', tenantColumn: 'tenant_id', retention: 'audit', clickhouse: { engine: 'MergeTree' } } as const;

/** Routing policies as published (every revision kept) and each lead's routing decision: insert-only. */
export const ROUTING_TABLES: readonly TableDefinition[] = [
  {
    ...table,
    name: 'revops_routing_policies',
    key: ['tenant_id', 'revision'],
    state: { unique: [['tenant_id', 'revision']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'revision', type: 'text' },
      { name: 'policy', type: 'json' },
      { name: 'published_at', type: 'timestamp' },
      { name: 'published_by', type: 'text' },
    ],
  },
  {
    ...table,
    name: 'revops_routings',
    key: ['tenant_id', 'lead_id'],
    // One decision per lead, whoever routes it: no lead is routed twice.
    state: { unique: [['tenant_id', 'lead_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'lead_id', type: 'text' },
      { name: 'routed_at', type: 'timestamp' },
      { name: 'policy_revision', type: 'text' },
      { name: 'rule', type: 'text', nullable: true },
      { name: 'pool', type: 'text', nullable: true },
      { name: 'assignee', type: 'text', nullable: true },
      { name: 'reason', type: 'text', nullable: true },
      // The decision as receipted: input, rules tried, loads, outcome (canonical JSON; its SHA-256 is the receipt's digest).
      { name: 'record', type: 'text' },
      { name: 'receipt_id', type: 'text' },
      // When the assignee must have touched it by (the rule's SLA); null without one.
      { name: 'due_at', type: 'timestamp', nullable: true },
    ],
  },
  {
    ...table,
    name: 'revops_lead_touches',
    key: ['tenant_id', 'lead_id'],
    // The first touch: what the SLA counts to.
    state: { unique: [['tenant_id', 'lead_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'lead_id', type: 'text' },
      { name: 'touched_at', type: 'timestamp' },
      { name: 'touched_by', type: 'text' },
      { name: 'channel', type: 'text' },
    ],
  },
  {
    ...table,
    name: 'revops_sla_breaches',
    key: ['tenant_id', 'lead_id'],
    state: { unique: [['tenant_id', 'lead_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'lead_id', type: 'text' },
      { name: 'assignee', type: 'text' },
      { name: 'due_at', type: 'timestamp' },
      { name: 'breached_at', type: 'timestamp' },
    ],
  },
  {
    ...table,
    name: 'revops_reassignments',
    key: ['tenant_id', 'lead_id'],
    // Once per lead: a breach hands it on, to one other member.
    state: { unique: [['tenant_id', 'lead_id']], checks: ['from_assignee <> to_assignee'], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'lead_id', type: 'text' },
      { name: 'from_assignee', type: 'text' },
      { name: 'to_assignee', type: 'text' },
      { name: 'reassigned_at', type: 'timestamp' },
      { name: 'due_at', type: 'timestamp', nullable: true },
      { name: 'record', type: 'text' },
      { name: 'receipt_id', type: 'text' },
    ],
  },
];
