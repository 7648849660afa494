import { signEnvelope, type DsseEnvelope, type LedgerKey } from '../../kernel/ledger/index.ts';
import type { Redaction } from '../governance/index.ts';
import { PURGE_MANIFEST_PAYLOAD_TYPE } from '../retention/index.ts';
import type { ErasedExport } from './erase-exports.ts';
import type { ErasableArtifact } from './erasure-scope.ts';

export const ERASURE_MANIFEST_FORMAT = 'companyos.erasure/v1';

/**
 * What an erasure removed, signed with the ledger's key and receipted in the tenant's log. It
 * never names the subject (the run that asked is named instead, and its stored request no longer
 * holds the subject either): counts, the redacted disclosures' digests, the export files' digests,
 * the backups dropped and the storage reclaimed.
 */
export interface ErasureManifest {
  format: typeof ERASURE_MANIFEST_FORMAT;
  purgeId: string;
  reason: 'erasure';
  scope: { tenant: string; artifacts: ErasableArtifact[]; runId: string };
  ranAt: string;
  counts: { events: number; quarantine: number; evidence: number; rationales: number; disclosures: number; exports: number };
  redactions: Pick<Redaction, 'receiptId' | 'logIndex' | 'digest' | 'name' | 'purgeId'>[];
  exports: ErasedExport[];
  models: string | null;
  backups: { newBase: string | null; dropped: string[] } | null;
  reclaimed: { engine: string; tables: string[]; rowsRewritten: number; blocksScrubbed: number; frozenCopies?: { removed: number } | { unchecked: string } }[];
}

export function signErasureManifest(manifest: ErasureManifest, key: LedgerKey): DsseEnvelope {
  return signEnvelope(PURGE_MANIFEST_PAYLOAD_TYPE, JSON.stringify(manifest), key);
}
