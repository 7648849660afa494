-- Per-tenant invoices generated from finops_tenant_charges: each generation of a
-- month is a new revision (the highest revision, epoch milliseconds, is the invoice), so an
-- invoice re-issued after a corrected bill keeps its history.
CREATE TABLE invoices (
  tenant_id VARCHAR NOT NULL,
  invoice_id VARCHAR NOT NULL,
  customer_tenant VARCHAR NOT NULL,
  period_start TIMESTAMP NOT NULL,
  currency VARCHAR NOT NULL,
  total DECIMAL(38, 10) NOT NULL,
  sha256 VARCHAR NOT NULL,
  artifact_json VARCHAR NOT NULL,
  artifact_csv VARCHAR NOT NULL,
  revision BIGINT NOT NULL,
  generated_at TIMESTAMP NOT NULL
);

-- Every webhook delivery attempt of an invoice, with what the receiver answered.
CREATE TABLE invoice_deliveries (
  tenant_id VARCHAR NOT NULL,
  delivery_id VARCHAR NOT NULL,
  invoice_id VARCHAR NOT NULL,
  invoice_sha256 VARCHAR NOT NULL,
  url VARCHAR NOT NULL,
  attempt INTEGER NOT NULL,
  attempted_at TIMESTAMP NOT NULL,
  status_code INTEGER,
  outcome VARCHAR NOT NULL,
  error VARCHAR,
  duration_ms INTEGER NOT NULL
);
