-- Every policy decision the gate took, in OPA's decision-log shape plus Cedar's reasons.
CREATE TABLE IF NOT EXISTS policy_decisions (
  tenant_id String,
  decision_id String,
  decided_at DateTime('UTC'),
  path String,
  principal String,
  action String,
  resource String,
  resource_tenant String,
  decision String,
  reasons String,
  input String,
  result String,
  bundle_name String,
  bundle_revision String,
  erased String,
  masked String,
  trace_id String,
  method String,
  route String
) ENGINE = MergeTree
ORDER BY (tenant_id, decided_at, decision_id);

-- The append-only per-tenant receipt log: entry n is leaf n of the tenant's RFC 6962 tree.
CREATE TABLE IF NOT EXISTS ledger_entries (
  tenant_id String,
  log_index Int64,
  receipt_id String,
  entry String,
  leaf_hash String,
  disclosures String,
  key_id String,
  appended_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (tenant_id, log_index);

-- Checkpoints the log signed, so later ones can be proven consistent with them.
CREATE TABLE IF NOT EXISTS ledger_checkpoints (
  tenant_id String,
  tree_size Int64,
  root_hash String,
  note String,
  key_id String,
  signed_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (tenant_id, tree_size);

-- Hashes (and optionally the bytes) of files and transcripts attached as evidence.
CREATE TABLE IF NOT EXISTS evidence (
  tenant_id String,
  evidence_id String,
  bundle_id String,
  receipt_id Nullable(String),
  kind String,
  name String,
  sha256 String,
  size_bytes Nullable(Int64),
  content Nullable(String),
  -- The receipt of the call that attached it.
  attach_receipt_id String,
  attached_by String,
  attached_at DateTime('UTC'),
  -- 'attached' / 'approved', or 'rolled-back' when the action's receipt could not be written.
  status String
) ENGINE = MergeTree
ORDER BY (tenant_id, bundle_id, evidence_id);

-- Entities and edges, one row per version: the highest version is the entity; `deleted` = 1 is a tombstone.
CREATE TABLE IF NOT EXISTS entities (
  tenant_id String,
  entity_id String,
  version Int64,
  entity_type String,
  name String,
  data_class String,
  region String,
  attributes String,
  deleted UInt8,
  recorded_by String,
  recorded_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (tenant_id, entity_id, version);

CREATE TABLE IF NOT EXISTS entity_edges (
  tenant_id String,
  edge_id String,
  version Int64,
  edge_type String,
  src_id String,
  dst_id String,
  attributes String,
  deleted UInt8,
  recorded_by String,
  recorded_at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (tenant_id, src_id, dst_id, edge_id);

-- Dual control: a destructive action asked for, then approved by someone else.
CREATE TABLE IF NOT EXISTS approval_requests (
  tenant_id String,
  request_id String,
  entity_id String,
  action String,
  requested_by String,
  requested_at DateTime('UTC'),
  decision_id String
) ENGINE = MergeTree
ORDER BY (tenant_id, entity_id, requested_at);

CREATE TABLE IF NOT EXISTS approvals (
  tenant_id String,
  approval_id String,
  request_id String,
  entity_id String,
  action String,
  requested_by String,
  approver String,
  rationale_category String,
  rationale String,
  evidence_ids String,
  approved_at DateTime('UTC'),
  -- 'attached' / 'approved', or 'rolled-back' when the action's receipt could not be written.
  status String
) ENGINE = MergeTree
ORDER BY (tenant_id, entity_id, approved_at);
