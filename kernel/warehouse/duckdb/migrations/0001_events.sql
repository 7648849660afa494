-- Raw metering and business events, one row per accepted CloudEvent.
-- (tenant_id, source, id) is unique within the dedupe window (see kernel/warehouse/README.md).
CREATE TABLE events (
  tenant_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  id VARCHAR NOT NULL,
  type VARCHAR NOT NULL,
  time TIMESTAMP NOT NULL,
  subject VARCHAR,
  policy_version VARCHAR NOT NULL,
  plan VARCHAR,
  feature VARCHAR,
  flow_type VARCHAR,
  sla_tier VARCHAR,
  data_content_type VARCHAR,
  data JSON,
  extensions JSON,
  channel VARCHAR NOT NULL,
  ingested_at TIMESTAMP NOT NULL
);

-- Events that failed validation, parked with their reason; nothing is dropped.
CREATE TABLE events_quarantine (
  tenant_id VARCHAR NOT NULL,
  quarantine_id VARCHAR NOT NULL,
  received_at TIMESTAMP NOT NULL,
  channel VARCHAR NOT NULL,
  batch_index INTEGER,
  event_id VARCHAR,
  event_source VARCHAR,
  reason_code VARCHAR NOT NULL,
  reason_text VARCHAR NOT NULL,
  payload VARCHAR NOT NULL
);
