import { createHash } from 'node:crypto';
import { buildReceipt } from '../../../kernel/ledger/index.ts';
import type { LedgerStore } from '../../../platform/governance/index.ts';

/** A lead's routing receipt id: fixed, so appending it again (after a crash) adds nothing. */
export function routingReceiptId(leadId: string): string {
  return `route-${leadId}`;
}

/** Signs a routing decision's receipt (its record's SHA-256 as the target digest) and appends it to the tenant's log. */
export function appendRoutingReceipt(ledger: LedgerStore, routing: { tenant: string; leadId: string; routedAt: Date; policyRevision: string; record: string }): Promise<number> {
  const key = ledger.keyring.active;
  const receiptId = routingReceiptId(routing.leadId);
  const receipt = buildReceipt(
    {
      receiptId,
      tenant: routing.tenant,
      actor: 'revops-router',
      action: 'revops.lead.route',
      target: { name: `revops-lead/${routing.leadId}`, digest: createHash('sha256').update(routing.record).digest('hex') },
      decisionId: `routing:${routing.leadId}`,
      bundleRevision: `routing-policy:${routing.policyRevision}`,
      approvers: [],
      evidenceRefs: [],
      time: routing.routedAt.toISOString(),
    },
    key,
  );
  return ledger.append(routing.tenant, { receiptId, text: JSON.stringify(receipt.envelope), disclosures: receipt.disclosures, keyId: key.keyId });
}
