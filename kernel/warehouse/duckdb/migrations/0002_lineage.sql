-- Transform builds, one row per build (CLI, API or schedule), written when it ends.
CREATE TABLE build_runs (
  tenant_id VARCHAR NOT NULL,
  run_id VARCHAR NOT NULL,
  trigger VARCHAR NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  status VARCHAR NOT NULL,
  models_ok INTEGER NOT NULL,
  models_error INTEGER NOT NULL,
  models_skipped INTEGER NOT NULL,
  message VARCHAR NOT NULL
);

-- OpenLineage RunEvents (spec 2-0-2) of builds and their models, as sent.
CREATE TABLE lineage_runs (
  tenant_id VARCHAR NOT NULL,
  run_id VARCHAR NOT NULL,
  parent_run_id VARCHAR,
  job_name VARCHAR NOT NULL,
  event_type VARCHAR NOT NULL,
  event_time TIMESTAMP NOT NULL,
  event JSON NOT NULL
);

-- The dataset graph as each build saw it: sources, models and meters, and
-- edges from the relation read to the relation built. Reads take the latest build's snapshot.
CREATE TABLE lineage_nodes (
  tenant_id VARCHAR NOT NULL,
  build_run_id VARCHAR NOT NULL,
  recorded_at TIMESTAMP NOT NULL,
  name VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  meter VARCHAR NOT NULL,
  materialized VARCHAR NOT NULL,
  description VARCHAR NOT NULL
);

CREATE TABLE lineage_edges (
  tenant_id VARCHAR NOT NULL,
  build_run_id VARCHAR NOT NULL,
  recorded_at TIMESTAMP NOT NULL,
  upstream VARCHAR NOT NULL,
  downstream VARCHAR NOT NULL
);
