-- Raw tables models read through source() are ReplacingMergeTree: such reads go through FINAL.
-- Each row's sorting key is unique (batch, line), so nothing is ever replaced.

-- Cloud bill imports: one row per imported file. Re-importing a file with the
-- same checksum finds its batch here and writes nothing.
CREATE TABLE IF NOT EXISTS bill_batches (
  tenant_id String,
  batch_id String,
  file_name String,
  checksum String,
  format String,
  rows_read Int64,
  rows_loaded Int64,
  rows_parked Int64,
  imported_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY (tenant_id, checksum, batch_id);

-- Bill rows in FOCUS terms (see packs/finops/bills/README.md for the mapping of
-- CUR, GCP and Azure exports). tenant_id is the tenant whose bill it is; money
-- is Decimal128(10). Rows belong to a batch only once bill_batches records it.
CREATE TABLE IF NOT EXISTS bill_rows (
  tenant_id String,
  batch_id String,
  line Int64,
  provider Nullable(String),
  billing_account_id Nullable(String),
  billing_account_name Nullable(String),
  sub_account_id Nullable(String),
  sub_account_name Nullable(String),
  invoice_id Nullable(String),
  invoice_issuer Nullable(String),
  billing_currency Nullable(String),
  billing_period_start DateTime('UTC'),
  billing_period_end Nullable(DateTime('UTC')),
  charge_period_start DateTime('UTC'),
  charge_period_end Nullable(DateTime('UTC')),
  charge_category String,
  charge_class Nullable(String),
  charge_frequency Nullable(String),
  charge_description Nullable(String),
  pricing_category Nullable(String),
  billed_cost Decimal128(10),
  effective_cost Decimal128(10),
  list_cost Nullable(Decimal128(10)),
  contracted_cost Nullable(Decimal128(10)),
  pricing_quantity Nullable(Decimal128(10)),
  pricing_unit Nullable(String),
  consumed_quantity Nullable(Decimal128(10)),
  consumed_unit Nullable(String),
  commitment_discount_id Nullable(String),
  commitment_discount_status Nullable(String),
  commitment_discount_type Nullable(String),
  commitment_discount_category Nullable(String),
  resource_id Nullable(String),
  resource_name Nullable(String),
  resource_type Nullable(String),
  service_name Nullable(String),
  service_category Nullable(String),
  region_id Nullable(String),
  sku_id Nullable(String),
  sku_price_id Nullable(String),
  tags String,
  extra String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(billing_period_start)
ORDER BY (tenant_id, charge_period_start, batch_id, line);

-- Bill rows that could not be read, with the line and column at fault; nothing is dropped.
CREATE TABLE IF NOT EXISTS bill_rows_parked (
  tenant_id String,
  batch_id String,
  file_name String,
  line Int64,
  column_name String,
  reason_code String,
  reason_text String,
  raw String
) ENGINE = MergeTree
ORDER BY (tenant_id, batch_id, line);

-- Per-tenant true cost written by `companyos simulate`, to measure attribution accuracy against.
CREATE TABLE IF NOT EXISTS finops_true_costs (
  tenant_id String,
  simulation_id String,
  cost_tenant String,
  period_start DateTime('UTC'),
  billing_currency String,
  true_cost Decimal128(10)
) ENGINE = MergeTree
ORDER BY (tenant_id, simulation_id, cost_tenant, period_start);
