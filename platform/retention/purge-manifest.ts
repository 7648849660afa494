import { signEnvelope, type DsseEnvelope, type LedgerKey } from '../../kernel/ledger/index.ts';
import type { TableDefinition } from '../../kernel/warehouse/index.ts';
import type { Tombstone } from './expire-rows.ts';
import type { ExpiringClass, RetentionWindows } from './retention-windows.ts';

export const PURGE_MANIFEST_PAYLOAD_TYPE = 'application/vnd.companyos.purge-manifest+json';
export const PURGE_MANIFEST_FORMAT = 'companyos.purge/v1';
/** The operator's manifest covers every tenant: its scope names none. */
export const ALL_TENANTS = '*';

/** What one purge removed for one scope: the receipt a retention run leaves, written even when nothing went. */
export interface PurgeManifest {
  format: typeof PURGE_MANIFEST_FORMAT;
  purgeId: string;
  reason: 'retention';
  scope: { tenant: string; dataClasses: ExpiringClass[] };
  ranAt: string;
  windowsDays: RetentionWindows;
  /** Rows removed per data class (0 for a class that had none past its window). */
  counts: Record<ExpiringClass, number>;
  /** Per table (and tenant, in a tenant's manifest), what went: counts and time ranges, never the rows. */
  tombstones: Tombstone[];
  /** In a tenant's manifest: the receipts' disclosures removed at the `audit` window, by digest and field name (never the value); the ledger's redaction markers are checked against this list. */
  redactions?: { receiptId: string; digest: string; name: string }[];
}

export function signPurgeManifest(manifest: PurgeManifest, key: LedgerKey): DsseEnvelope {
  return signEnvelope(PURGE_MANIFEST_PAYLOAD_TYPE, JSON.stringify(manifest), key);
}

/** Signed purge manifests, one row per scope and purge, insert-only; the (tenant, purge) key makes a week's run happen once. */
export const PURGE_MANIFESTS_TABLE: TableDefinition = {
  name: 'purge_manifests',
  owner: 'platform/retention',
  tenantColumn: 'tenant_id',
  retention: 'audit',
  key: ['tenant_id', 'purge_id'],
  clickhouse: { engine: 'MergeTree' },
  state: { unique: [['tenant_id', 'purge_id']], onlyInStateStore: true },
  columns: [
    { name: 'tenant_id', type: 'text' },
    { name: 'purge_id', type: 'text' },
    { name: 'reason', type: 'text' },
    { name: 'ran_at', type: 'timestamp' },
    { name: 'envelope', type: 'json' },
  ],
};
