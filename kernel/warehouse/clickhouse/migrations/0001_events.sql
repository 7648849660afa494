-- Raw events. Times are DateTime (seconds): ClickHouse 18 has no DateTime64.
-- ReplacingMergeTree collapses rows with the same sorting key when parts merge;
-- reads that must not see a duplicate use FINAL (see kernel/warehouse/README.md).
CREATE TABLE IF NOT EXISTS events (
  tenant_id String,
  source String,
  id String,
  type String,
  time DateTime('UTC'),
  subject Nullable(String),
  policy_version String,
  plan Nullable(String),
  feature Nullable(String),
  flow_type Nullable(String),
  sla_tier Nullable(String),
  data_content_type Nullable(String),
  data Nullable(String),
  extensions Nullable(String),
  channel String,
  ingested_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(time)
ORDER BY (tenant_id, type, time, source, id);

-- Dedupe keys of events, ordered by the key so that existence lookups use the primary index.
CREATE TABLE IF NOT EXISTS events_keys (
  tenant_id String,
  source String,
  id String,
  ingested_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (tenant_id, source, id);

-- Events that failed validation, parked with their reason; nothing is dropped.
CREATE TABLE IF NOT EXISTS events_quarantine (
  tenant_id String,
  quarantine_id String,
  received_at DateTime('UTC'),
  channel String,
  batch_index Nullable(Int32),
  event_id Nullable(String),
  event_source Nullable(String),
  reason_code String,
  reason_text String,
  payload String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (tenant_id, received_at, quarantine_id);
