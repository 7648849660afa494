import type { StateStore } from '../../../kernel/state/index.ts';
import type { LedgerStore } from '../../../platform/governance/index.ts';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import type { TenantScope } from '../../../platform/tenancy/index.ts';
import { canonicalJson } from '../canonical-json.ts';
import { appendRecordReceipt } from '../record-receipt.ts';
import { quoteEvent, readApprovals, readRevisions, type ApprovalRecordJson, type DiscountParams, type QuoteApproval, type QuoteApprover } from './quote-rows.ts';

/** What receipts name as the rule set a quote was approved by. */
export const DISCOUNT_MATRIX_REVISION = 'discount-matrix:v1';

export interface QuoteApprovalDeps {
  state: StateStore;
  stateScope(tenant: string): TenantScope;
  ledger: LedgerStore;
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
  now(): Date;
}

/** The approvals of quotes' terms: what the discount run's execute step and the automatic band record. */
export class QuoteApprovals {
  constructor(private readonly deps: QuoteApprovalDeps) {}

  /**
   * Records the approval of a revision's terms and appends its receipt: the discount run's
   * execute step, and the automatic band. Done again (a retried step) it adds nothing.
   */
  async record(tenant: string, params: DiscountParams, approvers: QuoteApprover[], runId: string | null): Promise<QuoteApproval> {
    const [revision] = (await readRevisions(this.deps.stateScope(tenant), params.quote_id)).filter((r) => r.revision === params.revision && r.termsHash === params.terms_hash);
    if (!revision) throw new Error(`quote ${params.quote_id} has no revision ${params.revision} with terms ${params.terms_hash}: the request was not recorded`);
    const receiptId = `quote-${params.quote_id}-${params.terms_hash.slice(0, 16)}`;
    const reason = revision.reasonCategory ? { category: revision.reasonCategory, text: revision.reason ?? '' } : null;
    const at = this.deps.now();
    const record: ApprovalRecordJson = { ...params, reason, approvers, run_id: runId, approved_at: at.toISOString() };
    const text = canonicalJson(record);
    await this.deps.state.transaction((tx) => tx.insertNew('revops_quote_approvals', [{
      tenant_id: tenant, quote_id: params.quote_id, terms_hash: params.terms_hash, revision: params.revision, band: params.band, run_id: runId,
      approved_at: at, record: text, receipt_id: receiptId,
    }]));
    // The approval as stored (a retry finds the first one's): what the receipt signs.
    const stored = (await readApprovals(this.deps.stateScope(tenant), params.quote_id)).find((a) => a.termsHash === params.terms_hash)!;
    await appendRecordReceipt(this.deps.ledger, {
      tenant, receiptId, actor: runId ? 'revops-discount' : 'revops-quotes', action: 'revops.quote.approve', targetName: `revops-quote/${params.quote_id}`,
      decisionId: runId ?? `automatic:${params.quote_id}:${params.revision}`, bundleRevision: DISCOUNT_MATRIX_REVISION,
      approvers: stored.record.approvers.map((a) => a.approver), at: stored.approvedAt, record: canonicalJson(stored.record),
    });
    await this.deps.emit(tenant, [quoteEvent(tenant, params.quote_id, revision, 'revops.quote.approved', stored.approvedAt, {
      approvers: stored.record.approvers, run_id: runId,
      approval_latency_ms: stored.approvedAt.getTime() - revision.quotedAt.getTime(),
    })]);
    return stored;
  }
}
