-- Per-tenant invoices generated from finops_tenant_charges: each generation of a
-- month is a new revision (the highest revision, epoch milliseconds, is the invoice), so an
-- invoice re-issued after a corrected bill keeps its history.
CREATE TABLE IF NOT EXISTS invoices (
  tenant_id String,
  invoice_id String,
  customer_tenant String,
  period_start DateTime('UTC'),
  currency String,
  total Decimal128(10),
  sha256 String,
  artifact_json String,
  artifact_csv String,
  revision Int64,
  generated_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (tenant_id, invoice_id, revision);

-- Every webhook delivery attempt of an invoice, with what the receiver answered.
CREATE TABLE IF NOT EXISTS invoice_deliveries (
  tenant_id String,
  delivery_id String,
  invoice_id String,
  invoice_sha256 String,
  url String,
  attempt Int32,
  attempted_at DateTime('UTC'),
  status_code Nullable(Int32),
  outcome String,
  error Nullable(String),
  duration_ms Int32
) ENGINE = MergeTree
ORDER BY (tenant_id, invoice_id, attempted_at);
