/** Columns of the raw tables created by the migrations, in table order. */
export const EVENT_COLUMNS = [
  'tenant_id', 'source', 'id', 'type', 'time', 'subject', 'policy_version', 'plan', 'feature',
  'flow_type', 'sla_tier', 'data_content_type', 'data', 'extensions', 'channel', 'ingested_at',
] as const;

export const QUARANTINE_COLUMNS = [
  'tenant_id', 'quarantine_id', 'received_at', 'channel', 'batch_index', 'event_id', 'event_source',
  'reason_code', 'reason_text', 'payload',
] as const;
