CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  checksum VARCHAR NOT NULL,
  applied_at TIMESTAMP NOT NULL
);
