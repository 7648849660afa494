import type { StateStore } from '../../../kernel/state/index.ts';
import type { LedgerStore } from '../../../platform/governance/index.ts';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import type { TenantScope } from '../../../platform/tenancy/index.ts';
import { canonicalJson } from '../canonical-json.ts';
import { appendRecordReceipt } from '../../../platform/governance/index.ts';
import { owedReceipts } from '../owed-receipts.ts';
import { quoteEvent, readApprovals, readRevisions, toApproval, type ApprovalRecordJson, type DiscountParams, type QuoteApproval, type QuoteApprover } from './quote-rows.ts';

/** What receipts name as the rule set a quote was approved by. */
export const DISCOUNT_MATRIX_REVISION = 'discount-matrix:v1';

export interface QuoteApprovalDeps {
  state: StateStore;
  stateScope(tenant: string): TenantScope;
  ledger: LedgerStore;
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
  now(): Date;
}

/**
 * The approvals of quotes' terms: what the discount run's execute step and the automatic band
 * record. An approval is stored first and receipted after; one stored without its receipt (a crash
 * between the two) is owed, and `settleOwed` appends it.
 */
export class QuoteApprovals {
  constructor(private readonly deps: QuoteApprovalDeps) {}

  /** The row approving a revision's terms, to be stored with the revision itself (the automatic band) or by `record`. */
  row(tenant: string, params: DiscountParams, reason: ApprovalRecordJson['reason'], approvers: QuoteApprover[], runId: string | null, at: Date): Record<string, unknown> {
    const record: ApprovalRecordJson = { ...params, reason, approvers, run_id: runId, approved_at: at.toISOString() };
    return {
      tenant_id: tenant, quote_id: params.quote_id, terms_hash: params.terms_hash, revision: params.revision, band: params.band, run_id: runId,
      approved_at: at, record: canonicalJson(record), receipt_id: `quote-${params.quote_id}-${params.terms_hash.slice(0, 16)}`,
    };
  }

  /**
   * Records the approval of a revision's terms by a discount run and appends its receipt. Done
   * again (a retried step) it adds nothing.
   */
  async record(tenant: string, params: DiscountParams, approvers: QuoteApprover[], runId: string): Promise<QuoteApproval> {
    const [revision] = (await readRevisions(this.deps.stateScope(tenant), params.quote_id)).filter((r) => r.revision === params.revision && r.termsHash === params.terms_hash);
    if (!revision) throw new Error(`quote ${params.quote_id} has no revision ${params.revision} with terms ${params.terms_hash}: the request was not recorded`);
    const reason = revision.reasonCategory ? { category: revision.reasonCategory, text: revision.reason ?? '' } : null;
    await this.deps.state.transaction((tx) => tx.insertNew('revops_quote_approvals', [this.row(tenant, params, reason, approvers, runId, this.deps.now()) as never]));
    // The approval as stored (a retry finds the first one's): what the receipt signs.
    const stored = (await readApprovals(this.deps.stateScope(tenant), params.quote_id)).find((a) => a.termsHash === params.terms_hash)!;
    await this.receipt(tenant, params.quote_id, stored);
    return stored;
  }

  /** Appends a stored approval's receipt and reports it (`revops.quote.approved`); again, it adds nothing. */
  async receipt(tenant: string, quoteId: string, approval: QuoteApproval): Promise<void> {
    const { record } = approval;
    await appendRecordReceipt(this.deps.ledger, {
      tenant, receiptId: approval.receiptId, actor: approval.runId ? 'revops-discount' : 'revops-quotes', action: 'revops.quote.approve', targetName: `revops-quote/${quoteId}`,
      decisionId: approval.runId ?? `automatic:${quoteId}:${approval.revision}`, bundleRevision: DISCOUNT_MATRIX_REVISION,
      approvers: record.approvers.map((a) => a.approver), at: approval.approvedAt, record: canonicalJson(record),
    });
    const revision = (await readRevisions(this.deps.stateScope(tenant), quoteId)).find((r) => r.revision === approval.revision)!;
    await this.deps.emit(tenant, [quoteEvent(tenant, quoteId, revision, 'revops.quote.approved', approval.approvedAt, {
      approvers: record.approvers, run_id: approval.runId, approval_latency_ms: approval.approvedAt.getTime() - revision.quotedAt.getTime(),
    })]);
  }

  /**
   * Appends the receipts a crash left owed, every tenant's: approvals stored whose receipt the
   * tenant's log does not hold. The pack's sweep runs it; answers how many it appended.
   */
  async settleOwed(): Promise<number> {
    const owed = await owedReceipts(this.deps.state, 'revops_quote_approvals');
    for (const row of owed) await this.receipt(String(row.tenant_id), String(row.quote_id), toApproval(row));
    return owed.length;
  }
}
