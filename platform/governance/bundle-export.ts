import { BUNDLE_TYPE, type EvidenceBundleJson } from '../../kernel/ledger/index.ts';
import type { EvidenceItem, EvidenceStore } from './evidence-store.ts';
import type { LedgerStore, StoredEntry } from './ledger-store.ts';

/** The predicate of a stored receipt, read without verifying (the server wrote it; verifiers check it offline). */
export function receiptPredicate(entry: StoredEntry): { evidenceRefs?: { id: string; sha256: string }[] } & Record<string, unknown> {
  const envelope = JSON.parse(entry.entry) as { payload: string };
  return (JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { predicate: Record<string, unknown> }).predicate;
}

export function proofJson(logIndex: number, treeSize: number, rootHash: Buffer, hashes: Buffer[]) {
  return { logIndex, treeSize, rootHash: rootHash.toString('base64'), hashes: hashes.map((h) => h.toString('base64')) };
}

/**
 * An evidence bundle: the receipts (exact entry text, every disclosure, the markers of
 * disclosures an erasure removed with the purges' signed manifests, an inclusion proof), the checkpoint they are proven against, consistency from
 * the previous signed checkpoint, and the evidence items with their hashes
 * (and bytes, when uploaded) — everything `companyos ledger verify` needs offline.
 */
export async function exportBundle(
  ledger: LedgerStore, evidence: EvidenceStore, tenant: string, bundleId: string, entries: StoredEntry[], attached: EvidenceItem[],
): Promise<EvidenceBundleJson> {
  // Receipts this process has not learnt of yet (appended by another, or learnt out of order) are read in first.
  const checkpoint = await ledger.checkpointCovering(tenant, Math.max(0, ...entries.map((entry) => entry.logIndex + 1)));
  const referenced = entries.flatMap((entry) => (receiptPredicate(entry).evidenceRefs ?? []).map((ref) => ref.id));
  const known = new Set(attached.map((item) => item.id));
  const items = [...attached, ...(await evidence.items(tenant, referenced.filter((id) => !known.has(id))))];
  const previous = await ledger.previousCheckpoint(tenant, checkpoint.size);
  const redacted = await ledger.redactions(tenant, entries.map((entry) => entry.receiptId));
  return {
    bundleType: BUNDLE_TYPE,
    bundleId,
    tenant,
    origin: ledger.origin(tenant),
    createdAt: new Date().toISOString(),
    entries: await Promise.all(
      entries.map(async (entry) => ({
        logIndex: entry.logIndex,
        entry: entry.entry,
        disclosures: entry.disclosures,
        ...(redacted.byReceipt.has(entry.receiptId) ? { redactions: redacted.byReceipt.get(entry.receiptId)! } : {}),
        inclusionProof: proofJson(entry.logIndex, checkpoint.size, checkpoint.rootHash, await ledger.inclusionProof(tenant, entry.logIndex, checkpoint.size)),
      })),
    ),
    checkpoint: checkpoint.note,
    consistency: previous
      ? [{
          checkpoint: previous.note,
          proof: { size1: previous.size, size2: checkpoint.size, hashes: (await ledger.consistencyProof(tenant, previous.size, checkpoint.size)).map((h) => h.toString('base64')) },
        }]
      : [],
    evidence: items.map((item) => ({ id: item.id, kind: item.kind, name: item.name, sha256: item.sha256, ...(item.content ? { content: item.content } : {}) })),
    ...(redacted.manifests.length > 0 ? { purgeManifests: redacted.manifests } : {}),
  };
}
