-- Cloud bill imports: one row per imported file. Re-importing a file with the
-- same checksum finds its batch here and writes nothing.
CREATE TABLE bill_batches (
  tenant_id VARCHAR NOT NULL,
  batch_id VARCHAR NOT NULL,
  file_name VARCHAR NOT NULL,
  checksum VARCHAR NOT NULL,
  format VARCHAR NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_loaded BIGINT NOT NULL,
  rows_parked BIGINT NOT NULL,
  imported_at TIMESTAMP NOT NULL
);

-- Bill rows in FOCUS terms (see packs/finops/bills/README.md for the mapping of
-- CUR, GCP and Azure exports). tenant_id is the tenant whose bill it is; money
-- is DECIMAL(38, 10). Rows belong to a batch only once bill_batches records it.
CREATE TABLE bill_rows (
  tenant_id VARCHAR NOT NULL,
  batch_id VARCHAR NOT NULL,
  line BIGINT NOT NULL,
  provider VARCHAR,
  billing_account_id VARCHAR,
  billing_account_name VARCHAR,
  sub_account_id VARCHAR,
  sub_account_name VARCHAR,
  invoice_id VARCHAR,
  invoice_issuer VARCHAR,
  billing_currency VARCHAR,
  billing_period_start TIMESTAMP NOT NULL,
  billing_period_end TIMESTAMP,
  charge_period_start TIMESTAMP NOT NULL,
  charge_period_end TIMESTAMP,
  charge_category VARCHAR NOT NULL,
  charge_class VARCHAR,
  charge_frequency VARCHAR,
  charge_description VARCHAR,
  pricing_category VARCHAR,
  billed_cost DECIMAL(38, 10) NOT NULL,
  effective_cost DECIMAL(38, 10) NOT NULL,
  list_cost DECIMAL(38, 10),
  contracted_cost DECIMAL(38, 10),
  pricing_quantity DECIMAL(38, 10),
  pricing_unit VARCHAR,
  consumed_quantity DECIMAL(38, 10),
  consumed_unit VARCHAR,
  commitment_discount_id VARCHAR,
  commitment_discount_status VARCHAR,
  commitment_discount_type VARCHAR,
  commitment_discount_category VARCHAR,
  resource_id VARCHAR,
  resource_name VARCHAR,
  resource_type VARCHAR,
  service_name VARCHAR,
  service_category VARCHAR,
  region_id VARCHAR,
  sku_id VARCHAR,
  sku_price_id VARCHAR,
  tags VARCHAR NOT NULL,
  extra VARCHAR NOT NULL
);

-- Bill rows that could not be read, with the line and column at fault; nothing is dropped.
CREATE TABLE bill_rows_parked (
  tenant_id VARCHAR NOT NULL,
  batch_id VARCHAR NOT NULL,
  file_name VARCHAR NOT NULL,
  line BIGINT NOT NULL,
  column_name VARCHAR NOT NULL,
  reason_code VARCHAR NOT NULL,
  reason_text VARCHAR NOT NULL,
  raw VARCHAR NOT NULL
);

-- Per-tenant true cost written by `companyos simulate`, to measure attribution accuracy against.
CREATE TABLE finops_true_costs (
  tenant_id VARCHAR NOT NULL,
  simulation_id VARCHAR NOT NULL,
  cost_tenant VARCHAR NOT NULL,
  period_start TIMESTAMP NOT NULL,
  billing_currency VARCHAR NOT NULL,
  true_cost DECIMAL(38, 10) NOT NULL
);
