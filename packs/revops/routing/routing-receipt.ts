import type { LedgerStore } from '../../../platform/governance/index.ts';
import { appendRecordReceipt } from '../../../platform/governance/index.ts';

/** A lead's routing receipt id: fixed, so appending it again (after a crash) adds nothing. */
export function routingReceiptId(leadId: string): string {
  return `route-${leadId}`;
}

/** Signs a routing decision's receipt (its record's SHA-256 as the target digest) and appends it to the tenant's log. */
export function appendRoutingReceipt(ledger: LedgerStore, routing: { tenant: string; leadId: string; routedAt: Date; policyRevision: string; record: string }): Promise<number> {
  return appendRecordReceipt(ledger, {
    tenant: routing.tenant, receiptId: routingReceiptId(routing.leadId), actor: 'revops-router', action: 'revops.lead.route',
    targetName: `revops-lead/${routing.leadId}`, decisionId: `routing:${routing.leadId}`, bundleRevision: `routing-policy:${routing.policyRevision}`,
    approvers: [], at: routing.routedAt, record: routing.record,
  });
}
