import { createHash } from 'node:crypto';
import { buildReceipt } from '../../kernel/ledger/index.ts';
import type { StateTransaction } from '../../kernel/state/index.ts';
import type { AppendEntry, LedgerStore } from '../governance/index.ts';
import type { RunRecord, TransitionRecord } from './run-records.ts';

/** The receipt id of a run's `seq`-th transition: fixed, so appending it again after a crash adds nothing. */
export function transitionReceiptId(runId: string, seq: number): string {
  return `wf-${runId}-${seq}`;
}

/** Appends the receipts of the run's transitions in the transaction that stores them: a transition stands with its receipt or not at all. */
export async function appendTransitionReceiptsIn(tx: StateTransaction, ledger: LedgerStore, run: RunRecord, transitions: readonly TransitionRecord[]): Promise<void> {
  await ledger.appendIn(tx, run.tenant, transitions.map((transition) => transitionReceipt(ledger, run, transition)));
}

/** Appends the transition's receipt on its own: for a transition stored without one (by a version that wrote them after). */
export function appendTransitionReceipt(ledger: LedgerStore, run: RunRecord, transition: TransitionRecord): Promise<number> {
  return ledger.append(run.tenant, transitionReceipt(ledger, run, transition));
}

/**
 * The transition's signed receipt. Everything in it comes from the stored transition (Ed25519 signs
 * deterministically), so a receipt signed again is byte for byte the first.
 */
function transitionReceipt(ledger: LedgerStore, run: RunRecord, transition: TransitionRecord): AppendEntry {
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
  return { receiptId: transition.receiptId, text: JSON.stringify(receipt.envelope), disclosures: receipt.disclosures, keyId: key.keyId };
}
