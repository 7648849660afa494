import { disclosureDigest } from './disclosure.ts';
import { LedgerVerificationError } from './errors.ts';
import type { ReceiptStatement } from './receipt.ts';

/** A disclosure an erasure removed from a receipt: the digest the receipt still lists, and the purge that removed its value. */
export interface RedactionMarker {
  receiptId: string;
  digest: string;
  purgeId: string;
}

/**
 * Checks a receipt's redaction markers against the receipt and against the signed manifest of the
 * purge each names (opened by the caller with the ledger's keys): the digest is one the receipt's
 * `_sd` lists, no disclosure given with the receipt still has it, and the manifest lists the
 * marker. Throws LedgerVerificationError('disclosure') naming the marker that fails.
 */
export function verifyRedactions(
  statement: ReceiptStatement,
  disclosures: readonly string[],
  markers: readonly RedactionMarker[],
  manifests: ReadonlyMap<string, { redactions: readonly RedactionMarker[] }>,
): void {
  const receiptId = statement.predicate.receiptId;
  const listed = new Set(statement.predicate._sd);
  const disclosed = new Set(disclosures.map(disclosureDigest));
  for (const marker of markers) {
    const fail = (why: string): never => {
      throw new LedgerVerificationError('disclosure', `redaction of ${marker.digest} in receipt ${receiptId}: ${why}`);
    };
    if (marker.receiptId !== receiptId) fail(`the marker names receipt ${marker.receiptId}.`);
    if (!listed.has(marker.digest)) fail('the receipt lists no such digest in _sd.');
    if (disclosed.has(marker.digest)) fail('the disclosure is still given.');
    const manifest = manifests.get(marker.purgeId) ?? fail(`no signed manifest of purge ${marker.purgeId} was given.`);
    if (!manifest.redactions.some((r) => r.receiptId === receiptId && r.digest === marker.digest)) fail(`purge ${marker.purgeId}'s manifest does not list it.`);
  }
}
