import { appendRecordReceipt, type LedgerStore } from '../governance/index.ts';
import type { BackupManifest } from './backup-manifest.ts';

/** The actor of the platform's own backups in receipts. */
export const BACKUP_ACTOR = 'backup-shipping';

/** The receipt id of a base backup: fixed, so appending it again after a crash adds nothing. */
export const baseReceiptId = (backupId: string) => `backup-${backupId}`;

/**
 * Each base backup as a signed receipt in the operator's ledger (`backup.base_stored`), naming the
 * SHA-256 of its manifest object as stored: an auditor holding the ledger can tell the manifest on
 * the target is the one the platform wrote, and when.
 */
export function receiptEachBase(ledger: LedgerStore, operatorTenant: string, bundleRevision: () => string) {
  return (manifest: BackupManifest, manifestObject: Buffer) => appendRecordReceipt(ledger, {
    tenant: operatorTenant,
    receiptId: baseReceiptId(manifest.backupId),
    actor: BACKUP_ACTOR,
    action: 'backup.base_stored',
    targetName: `backup/${manifest.backupId}`,
    decisionId: `system:${baseReceiptId(manifest.backupId)}`,
    bundleRevision: bundleRevision(),
    approvers: [],
    at: new Date(manifest.completedAt),
    record: manifestObject.toString('utf8'),
  });
}
