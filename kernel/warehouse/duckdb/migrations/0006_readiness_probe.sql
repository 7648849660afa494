-- /readyz writes one row per server process here (replacing its last one): a warehouse that answers reads but refuses writes is not ready.
CREATE TABLE readiness_probe (
  probe_id VARCHAR NOT NULL,
  probed_at TIMESTAMP NOT NULL
);
