-- /readyz writes one row per server process here (the later row per probe_id is kept): a warehouse that answers reads but refuses writes is not ready.
CREATE TABLE IF NOT EXISTS readiness_probe (
  probe_id String,
  probed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(probed_at) ORDER BY probe_id;
