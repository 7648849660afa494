import { createHash } from 'node:crypto';
import { buildReceipt } from '../../kernel/ledger/index.ts';
import type { LedgerStore } from './ledger-store.ts';

/** A decision kept as a record whose SHA-256 a signed receipt names: a pack's (a routing, a quote's approval) or the platform's own (a backup stored, a purge run). */
export interface RecordReceipt {
  tenant: string;
  /** Fixed for the decision, so appending it again (after a crash) adds nothing. */
  receiptId: string;
  actor: string;
  action: string;
  /** What was decided on (`revops-lead/<id>`, `backup/<id>`). */
  targetName: string;
  decisionId: string;
  /** The rule set it was decided by (a routing policy's revision, the discount matrix's). */
  bundleRevision: string;
  approvers: string[];
  at: Date;
  /** The decision's record, as stored beside it. */
  record: string;
}

/** Signs the decision's receipt (its record's SHA-256 as the target digest) and appends it to the tenant's log. */
export function appendRecordReceipt(ledger: LedgerStore, decision: RecordReceipt): Promise<number> {
  const key = ledger.keyring.active;
  const receipt = buildReceipt(
    {
      receiptId: decision.receiptId,
      tenant: decision.tenant,
      actor: decision.actor,
      action: decision.action,
      target: { name: decision.targetName, digest: createHash('sha256').update(decision.record).digest('hex') },
      decisionId: decision.decisionId,
      bundleRevision: decision.bundleRevision,
      approvers: decision.approvers,
      evidenceRefs: [],
      time: decision.at.toISOString(),
    },
    key,
  );
  return ledger.append(decision.tenant, { receiptId: decision.receiptId, text: JSON.stringify(receipt.envelope), disclosures: receipt.disclosures, keyId: key.keyId });
}

