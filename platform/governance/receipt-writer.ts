import { createHash } from 'node:crypto';
import { buildReceipt } from '../../kernel/ledger/index.ts';
import type { Authorization, ReceiptDraft } from './authorization.ts';
import type { StateTransaction } from '../../kernel/state/index.ts';
import type { AppendEntry, LedgerStore } from './ledger-store.ts';

export interface ReceiptFacts {
  tenant: string;
  action: string;
  gate: Authorization;
  draft: ReceiptDraft;
  /** Digested as the target when the handler named none: what the action answered (or, before it, what was asked). */
  body: string | Buffer;
}

/** Signs a receipt for a privileged action and appends it to the tenant's log. */
export async function appendReceipt(ledger: LedgerStore, facts: ReceiptFacts): Promise<number> {
  const index = await ledger.append(facts.tenant, signReceipt(ledger, facts));
  facts.draft.logIndex = index;
  return index;
}

/**
 * Signs the receipt of the privileged action `tx` carries out and appends it in `tx`: the action and its
 * receipt commit together. `draft.logIndex` is set once `tx` has committed.
 */
export async function appendReceiptIn(tx: StateTransaction, ledger: LedgerStore, facts: ReceiptFacts): Promise<void> {
  await ledger.appendIn(tx, facts.tenant, [signReceipt(ledger, facts)], ([entry]) => {
    facts.draft.logIndex = entry!.logIndex;
    facts.draft.withAction = true;
  });
}

function signReceipt(ledger: LedgerStore, facts: ReceiptFacts): AppendEntry {
  const { gate, draft } = facts;
  const key = ledger.keyring.active;
  const target = draft.target ?? {
    name: `${gate.resource.kind}/${gate.resource.id}`,
    sha256: createHash('sha256').update(facts.body).digest('hex'),
  };
  const receipt = buildReceipt(
    {
      receiptId: draft.id,
      tenant: facts.tenant,
      actor: gate.principalId,
      action: facts.action,
      target: { name: target.name, digest: target.sha256 },
      decisionId: gate.decisionId,
      bundleRevision: gate.bundleRevision,
      approvers: gate.approvers,
      evidenceRefs: draft.evidenceRefs,
      time: new Date().toISOString(),
      hidden: draft.hidden,
    },
    key,
  );
  return { receiptId: draft.id, text: JSON.stringify(receipt.envelope), disclosures: receipt.disclosures, keyId: key.keyId };
}
