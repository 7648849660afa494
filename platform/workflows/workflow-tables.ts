import type { TableDefinition } from '../../kernel/warehouse/index.ts';

const run = { owner: 'platform/workflows', tenantColumn: 'tenant_id', retention: 'audit', clickhouse: { engine: 'MergeTree' } } as const;

/**
 * A workflow run's state, insert-only: the run as requested, then one row per transition
 * (the unique (run, seq) lets exactly one writer take each next step), per approval (one per
 * approver, and never the requester's where the type separates duties: a CHECK in the store,
 * not only code) and per step's start and end (a step's end is written once: its idempotency key).
 */
export const WORKFLOW_TABLES: readonly TableDefinition[] = [
  {
    ...run,
    name: 'workflow_runs',
    key: ['tenant_id', 'run_id'],
    state: { unique: [['tenant_id', 'run_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'run_id', type: 'text' },
      { name: 'workflow_type', type: 'text' },
      { name: 'requested_by', type: 'text' },
      { name: 'requested_at', type: 'timestamp' },
      { name: 'rationale_category', type: 'text' },
      { name: 'rationale', type: 'text' },
      { name: 'params', type: 'json' },
      { name: 'approval_expires_at', type: 'timestamp' },
    ],
  },
  {
    ...run,
    name: 'workflow_transitions',
    key: ['tenant_id', 'run_id', 'seq'],
    state: { unique: [['tenant_id', 'run_id', 'seq']], onlyInStateStore: true, ranges: ['occurred_at'] },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'run_id', type: 'text' },
      { name: 'seq', type: 'integer' },
      { name: 'status', type: 'text' },
      { name: 'actor', type: 'text' },
      { name: 'occurred_at', type: 'timestamp' },
      { name: 'detail', type: 'json' },
      { name: 'receipt_id', type: 'text' },
    ],
  },
  {
    ...run,
    name: 'workflow_approvals',
    key: ['tenant_id', 'run_id', 'approver'],
    state: {
      unique: [['tenant_id', 'run_id', 'approver']],
      checks: ['separate_duties = 0 OR approver <> requested_by'],
      onlyInStateStore: true,
    },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'run_id', type: 'text' },
      { name: 'approver', type: 'text' },
      { name: 'roles', type: 'json' },
      { name: 'requested_by', type: 'text' },
      { name: 'separate_duties', type: 'flag' },
      { name: 'decision', type: 'text' },
      { name: 'rationale_category', type: 'text' },
      { name: 'rationale', type: 'text' },
      { name: 'decided_at', type: 'timestamp' },
    ],
  },
  {
    ...run,
    name: 'workflow_steps',
    key: ['tenant_id', 'run_id', 'step', 'phase'],
    state: {
      unique: [['tenant_id', 'run_id', 'step', 'phase', 'attempt']],
      checks: ['separate_duties = 0 OR executor <> requested_by'],
      onlyInStateStore: true,
    },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'run_id', type: 'text' },
      { name: 'step', type: 'text' },
      { name: 'phase', type: 'text' },
      { name: 'attempt', type: 'integer' },
      { name: 'executor', type: 'text' },
      { name: 'requested_by', type: 'text' },
      { name: 'separate_duties', type: 'flag' },
      { name: 'recorded_at', type: 'timestamp' },
      { name: 'output', type: 'json', nullable: true },
    ],
  },
];
