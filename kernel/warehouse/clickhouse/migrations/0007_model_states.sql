-- What each build recorded of the models it built (platform/transforms/model-stamps.ts): the digest of the
-- definition and inputs it read, and a fingerprint of what it left. The latest row per model counts; inputs ''
-- forgets the model (its table changed outside a build, or a full refresh began).
CREATE TABLE IF NOT EXISTS model_states (
  tenant_id String,
  model String,
  recorded_id String,
  run_id String,
  inputs String,
  content String,
  row_count Int64,
  built_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(built_at)
ORDER BY (tenant_id, model, recorded_id);
