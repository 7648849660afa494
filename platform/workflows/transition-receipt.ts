import { createHash } from 'node:crypto';
import { buildReceipt } from '../../kernel/ledger/index.ts';
import type { LedgerStore } from '../governance/index.ts';
import type { RunRecord, TransitionRecord } from './run-records.ts';

/** The receipt id of a run's `seq`-th transition: fixed, so appending it again after a crash adds nothing. */
export function transitionReceiptId(runId: string, seq: number): string {
  return `wf-${runId}-${seq}`;
}

/**
 * Signs the transition's receipt and appends it to the tenant's log. Everything in it comes
 * from the stored transition (Ed25519 signs deterministically), so the receipt written after a
 * restart is byte for byte the one the dead process would have written.
 */
export async function appendTransitionReceipt(ledger: LedgerStore, run: RunRecord, transition: TransitionRecord): Promise<number> {
  const key = ledger.keyring.active;
  const body = JSON.stringify({ run_id: run.runId, workflow_type: run.type, seq: transition.seq, status: transition.status, detail: transition.detail });
  const receipt = buildReceipt(
    {
      receiptId: transition.receiptId,
      tenant: run.tenant,
      actor: transition.actor,
      action: `workflow.${run.type}.${String(transition.detail.event ?? transition.status)}`,
      target: { name: `workflow-run/${run.runId}`, digest: createHash('sha256').update(body).digest('hex') },
      decisionId: String(transition.detail.decision_id ?? `workflow:${run.runId}:${transition.seq}`),
      bundleRevision: String(transition.detail.bundle_revision ?? 'workflow-engine'),
      approvers: Array.isArray(transition.detail.approvers) ? transition.detail.approvers.map(String) : [],
      evidenceRefs: Array.isArray(transition.detail.evidence) ? (transition.detail.evidence as { id: string; sha256: string }[]).map(({ id, sha256 }) => ({ id, sha256 })) : [],
      time: transition.at.toISOString(),
    },
    key,
  );
  return ledger.append(run.tenant, { receiptId: transition.receiptId, text: JSON.stringify(receipt.envelope), disclosures: receipt.disclosures, keyId: key.keyId });
}
