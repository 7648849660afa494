import type { TableDefinition } from '../../../kernel/warehouse/index.ts';

const leadTable = { owner: 'packs/revops', tenantColumn: 'tenant_id', retention: 'operational', clickhouse: { engine: 'MergeTree' } } as const;
const text = (name: string) => ({ name, type: 'text', nullable: true }) as const;

/** Leads as they came in and were judged (new, parked as spam, or a duplicate of an earlier one), and merges: insert-only. */
export const LEAD_TABLES: readonly TableDefinition[] = [
  {
    ...leadTable,
    name: 'revops_leads',
    key: ['tenant_id', 'lead_id'],
    state: { unique: [['tenant_id', 'lead_id']], checks: ["status IN ('new', 'parked', 'duplicate')"], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'lead_id', type: 'text' },
      { name: 'source', type: 'text' },
      text('origin'),
      { name: 'received_at', type: 'timestamp' },
      text('email'),
      text('email_key'),
      text('domain'),
      text('phone'),
      text('first_name'),
      text('last_name'),
      text('name_key'),
      text('name_block'),
      text('company'),
      text('company_key'),
      text('country'),
      { name: 'status', type: 'text' },
      text('disposition'),
      text('duplicate_of'),
      text('match_rule'),
      { name: 'problems', type: 'json' },
      { name: 'recorded_by', type: 'text' },
    ],
  },
  {
    ...leadTable,
    name: 'revops_lead_merges',
    key: ['tenant_id', 'lead_id'],
    state: { unique: [['tenant_id', 'lead_id']], checks: ['lead_id <> into_id'], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'lead_id', type: 'text' },
      { name: 'into_id', type: 'text' },
      { name: 'merged_at', type: 'timestamp' },
      { name: 'merged_by', type: 'text' },
    ],
  },
  {
    ...leadTable,
    name: 'revops_lead_event_cursor',
    key: ['tenant_id'],
    // How far the sweep has read leads from the event stream (one row, the operator's): the furthest ingest time.
    state: { unique: [['tenant_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'ingested_at', type: 'timestamp' },
    ],
  },
  {
    ...leadTable,
    name: 'revops_lead_events_refused',
    key: ['tenant_id', 'event_id'],
    // Lead events whose data is no lead: answered once with a disposition.
    state: { unique: [['tenant_id', 'event_id']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'event_id', type: 'text' },
      { name: 'reason', type: 'text' },
      { name: 'refused_at', type: 'timestamp' },
    ],
  },
];
