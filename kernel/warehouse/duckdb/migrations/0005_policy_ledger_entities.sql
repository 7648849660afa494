-- Every policy decision the gate took, in OPA's decision-log shape plus Cedar's reasons.
CREATE TABLE policy_decisions (
  tenant_id VARCHAR NOT NULL,
  decision_id VARCHAR NOT NULL,
  decided_at TIMESTAMP NOT NULL,
  path VARCHAR NOT NULL,
  principal VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  resource VARCHAR NOT NULL,
  resource_tenant VARCHAR NOT NULL,
  decision VARCHAR NOT NULL,
  reasons VARCHAR NOT NULL,
  input VARCHAR NOT NULL,
  result VARCHAR NOT NULL,
  bundle_name VARCHAR NOT NULL,
  bundle_revision VARCHAR NOT NULL,
  erased VARCHAR NOT NULL,
  masked VARCHAR NOT NULL,
  trace_id VARCHAR NOT NULL,
  method VARCHAR NOT NULL,
  route VARCHAR NOT NULL
);

-- The append-only per-tenant receipt log: entry n is leaf n of the tenant's RFC 6962 tree.
CREATE TABLE ledger_entries (
  tenant_id VARCHAR NOT NULL,
  log_index BIGINT NOT NULL,
  receipt_id VARCHAR NOT NULL,
  entry VARCHAR NOT NULL,
  leaf_hash VARCHAR NOT NULL,
  disclosures VARCHAR NOT NULL,
  key_id VARCHAR NOT NULL,
  appended_at TIMESTAMP NOT NULL
);

-- Checkpoints the log signed, so later ones can be proven consistent with them.
CREATE TABLE ledger_checkpoints (
  tenant_id VARCHAR NOT NULL,
  tree_size BIGINT NOT NULL,
  root_hash VARCHAR NOT NULL,
  note VARCHAR NOT NULL,
  key_id VARCHAR NOT NULL,
  signed_at TIMESTAMP NOT NULL
);

-- Hashes (and optionally the bytes) of files and transcripts attached as evidence.
CREATE TABLE evidence (
  tenant_id VARCHAR NOT NULL,
  evidence_id VARCHAR NOT NULL,
  bundle_id VARCHAR NOT NULL,
  receipt_id VARCHAR,
  kind VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  size_bytes BIGINT,
  content VARCHAR,
  -- The receipt of the call that attached it.
  attach_receipt_id VARCHAR NOT NULL,
  attached_by VARCHAR NOT NULL,
  attached_at TIMESTAMP NOT NULL,
  -- 'attached' / 'approved', or 'rolled-back' when the action's receipt could not be written.
  status VARCHAR NOT NULL
);

-- Entities and edges, one row per version: the highest version is the entity; `deleted` = 1 is a tombstone.
CREATE TABLE entities (
  tenant_id VARCHAR NOT NULL,
  entity_id VARCHAR NOT NULL,
  version BIGINT NOT NULL,
  entity_type VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  data_class VARCHAR NOT NULL,
  region VARCHAR NOT NULL,
  attributes VARCHAR NOT NULL,
  deleted INTEGER NOT NULL,
  recorded_by VARCHAR NOT NULL,
  recorded_at TIMESTAMP NOT NULL
);

CREATE TABLE entity_edges (
  tenant_id VARCHAR NOT NULL,
  edge_id VARCHAR NOT NULL,
  version BIGINT NOT NULL,
  edge_type VARCHAR NOT NULL,
  src_id VARCHAR NOT NULL,
  dst_id VARCHAR NOT NULL,
  attributes VARCHAR NOT NULL,
  deleted INTEGER NOT NULL,
  recorded_by VARCHAR NOT NULL,
  recorded_at TIMESTAMP NOT NULL
);

-- Dual control: a destructive action asked for, then approved by someone else.
CREATE TABLE approval_requests (
  tenant_id VARCHAR NOT NULL,
  request_id VARCHAR NOT NULL,
  entity_id VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  requested_by VARCHAR NOT NULL,
  requested_at TIMESTAMP NOT NULL,
  decision_id VARCHAR NOT NULL
);

CREATE TABLE approvals (
  tenant_id VARCHAR NOT NULL,
  approval_id VARCHAR NOT NULL,
  request_id VARCHAR NOT NULL,
  entity_id VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  requested_by VARCHAR NOT NULL,
  approver VARCHAR NOT NULL,
  rationale_category VARCHAR NOT NULL,
  rationale VARCHAR NOT NULL,
  evidence_ids VARCHAR NOT NULL,
  approved_at TIMESTAMP NOT NULL,
  -- 'attached' / 'approved', or 'rolled-back' when the action's receipt could not be written.
  status VARCHAR NOT NULL
);
