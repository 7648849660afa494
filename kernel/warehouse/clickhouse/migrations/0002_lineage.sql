-- Transform builds, one row per build (CLI, API or schedule), written when it ends.
CREATE TABLE IF NOT EXISTS build_runs (
  tenant_id String,
  run_id String,
  trigger String,
  started_at DateTime('UTC'),
  finished_at DateTime('UTC'),
  status String,
  models_ok Int32,
  models_error Int32,
  models_skipped Int32,
  message String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (tenant_id, started_at, run_id);

-- OpenLineage RunEvents (spec 2-0-2) of builds and their models, as sent.
CREATE TABLE IF NOT EXISTS lineage_runs (
  tenant_id String,
  run_id String,
  parent_run_id Nullable(String),
  job_name String,
  event_type String,
  event_time DateTime('UTC'),
  event String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (tenant_id, job_name, event_time, run_id);

-- The dataset graph as each build saw it: sources, models and meters, and
-- edges from the relation read to the relation built. Reads take the latest build's snapshot.
CREATE TABLE IF NOT EXISTS lineage_nodes (
  tenant_id String,
  build_run_id String,
  recorded_at DateTime('UTC'),
  name String,
  kind String,
  meter String,
  materialized String,
  description String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(recorded_at)
ORDER BY (tenant_id, build_run_id, name);

CREATE TABLE IF NOT EXISTS lineage_edges (
  tenant_id String,
  build_run_id String,
  recorded_at DateTime('UTC'),
  upstream String,
  downstream String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(recorded_at)
ORDER BY (tenant_id, build_run_id, upstream, downstream);
