-- What each build recorded of the models it built (platform/transforms/model-stamps.ts): the digest of the
-- definition and inputs it read, and a fingerprint of what it left. The latest row per model counts; inputs ''
-- forgets the model (its table changed outside a build, or a full refresh began).
CREATE TABLE model_states (
  tenant_id VARCHAR NOT NULL,
  model VARCHAR NOT NULL,
  recorded_id VARCHAR NOT NULL,
  run_id VARCHAR NOT NULL,
  inputs VARCHAR NOT NULL,
  content VARCHAR NOT NULL,
  row_count BIGINT NOT NULL,
  built_at TIMESTAMP NOT NULL
);
