import type { TableDefinition } from '../../../kernel/warehouse/index.ts';

const table = { owner: 'packs/revops', tenantColumn: 'tenant_id', retention: 'audit', clickhouse: { engine: 'MergeTree' } } as const;

/** Quotes (every revision kept), the approvals of their terms, and their outcomes: insert-only. */
export const QUOTE_TABLES: readonly TableDefinition[] = [
  {
    ...table,
    name: 'revops_quotes',
    key: ['tenant_id', 'quote_id', 'revision'],
    state: { unique: [['tenant_id', 'quote_id', 'revision']], checks: ['revision >= 1', 'final_price <= list_price', 'list_price > 0'], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'quote_id', type: 'text' },
      { name: 'revision', type: 'integer' },
      { name: 'account', type: 'text' },
      { name: 'lead_id', type: 'text', nullable: true },
      { name: 'currency', type: 'text' },
      { name: 'list_price', type: 'decimal' },
      { name: 'final_price', type: 'decimal' },
      { name: 'discount_percent', type: 'decimal' },
      { name: 'band', type: 'text' },
      { name: 'terms', type: 'json' },
      // SHA-256 of the canonical price and terms: a revision with the same one needs no new approval.
      { name: 'terms_hash', type: 'text' },
      // The discount-approval run this revision asked for; null when its band is automatic or its terms were approved already.
      { name: 'approval_run_id', type: 'text', nullable: true },
      { name: 'reason_category', type: 'text', nullable: true },
      { name: 'reason', type: 'text', nullable: true },
      { name: 'quoted_by', type: 'text' },
      { name: 'quoted_at', type: 'timestamp' },
    ],
  },
  {
    ...table,
    name: 'revops_quote_approvals',
    key: ['tenant_id', 'quote_id', 'terms_hash'],
    // Terms are approved once: a requote with the same terms stands on that approval.
    state: { unique: [['tenant_id', 'quote_id', 'terms_hash']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'quote_id', type: 'text' },
      { name: 'terms_hash', type: 'text' },
      { name: 'revision', type: 'integer' },
      { name: 'band', type: 'text' },
      { name: 'run_id', type: 'text', nullable: true },
      { name: 'approved_at', type: 'timestamp' },
      // The approval as receipted: prices, discount, reason, approvers with their roles (canonical JSON; its SHA-256 is the receipt's digest).
      { name: 'record', type: 'text' },
      { name: 'receipt_id', type: 'text' },
    ],
  },
  {
    ...table,
    name: 'revops_quote_outcomes',
    key: ['tenant_id', 'quote_id'],
    state: { unique: [['tenant_id', 'quote_id']], checks: ["outcome IN ('won', 'lost')"], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'quote_id', type: 'text' },
      { name: 'revision', type: 'integer' },
      { name: 'outcome', type: 'text' },
      { name: 'decided_at', type: 'timestamp' },
      { name: 'decided_by', type: 'text' },
      // A won quote's activation run (revops-activation).
      { name: 'activation_run_id', type: 'text', nullable: true },
    ],
  },
];
