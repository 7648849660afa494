import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import { fromUnits, toUnits } from '../../../kernel/warehouse/index.ts';
import { sql, type TenantScope } from '../../../platform/tenancy/index.ts';

export const BILLING_PERIODS = ['monthly', 'quarterly', 'annual', 'upfront'] as const;

export interface QuoteTerms {
  term_months: number;
  billing: (typeof BILLING_PERIODS)[number];
  payment_days?: number;
}

export interface QuoteInput {
  id?: string;
  account: string;
  lead_id?: string;
  currency: string;
  list_price: string;
  final_price: string;
  terms: QuoteTerms;
  rationale?: { category: string; text: string };
}

export type QuoteStatus = 'approved' | 'awaiting-approval' | 'denied' | 'expired' | 'cancelled' | 'failed' | 'won' | 'lost';

export interface QuoteRevision {
  revision: number;
  account: string;
  leadId: string | null;
  currency: string;
  listPrice: string;
  finalPrice: string;
  discountPercent: string;
  band: string;
  terms: QuoteTerms;
  termsHash: string;
  approvalRunId: string | null;
  reasonCategory: string | null;
  reason: string | null;
  quotedBy: string;
  quotedAt: Date;
}

export interface QuoteApproval {
  termsHash: string;
  revision: number;
  band: string;
  runId: string | null;
  approvedAt: Date;
  record: ApprovalRecordJson;
  receiptId: string;
}

/** The approval as receipted: the terms approvers decided on, with why and by whom. */
export interface ApprovalRecordJson extends DiscountParams {
  /** Why the rep asked for the discount (the automatic band may have none). */
  reason: { category: string; text: string } | null;
  /** Who approved, holding which roles, and why (none in the automatic band). */
  approvers: QuoteApprover[];
  run_id: string | null;
  approved_at: string;
}

export interface Quote {
  id: string;
  tenant: string;
  status: QuoteStatus;
  /** How the current terms came to stand: approved automatically, on an earlier approval of the same terms, or by the run. */
  current: QuoteRevision;
  revisions: QuoteRevision[];
  approval: QuoteApproval | null;
  /** Won (with the activation run the signature requested) or lost. */
  outcome: { outcome: 'won' | 'lost'; revision: number; decidedAt: Date; decidedBy: string; activationRunId: string | null } | null;
}

export interface QuoteApprover {
  approver: string;
  roles: string[];
  rationale: { category: string; text: string };
}

/** What a revision's run parameters carry: everything approvers decide on. */
export interface DiscountParams {
  quote_id: string;
  revision: number;
  account: string;
  currency: string;
  list_price: string;
  final_price: string;
  discount_percent: string;
  band: string;
  terms_hash: string;
}

/** A quote's revisions, oldest first. */
export async function readRevisions(scope: TenantScope, quoteId: string): Promise<QuoteRevision[]> {
  return (await scope.query(sql`SELECT * FROM ${scope.table('revops_quotes')} WHERE quote_id = ${quoteId} ORDER BY revision`)).map(toRevision);
}

/** The approvals of a quote's terms. */
export async function readApprovals(scope: TenantScope, quoteId: string): Promise<QuoteApproval[]> {
  return (await scope.query(sql`SELECT * FROM ${scope.table('revops_quote_approvals')} WHERE quote_id = ${quoteId}`)).map(toApproval);
}

/** A quote's event in its tenant's stream (`revops.quote.revised`, `.approved`, `.won`, `.lost`): one per revision and kind. */
export function quoteEvent(tenant: string, quoteId: string, revision: QuoteRevision, type: string, at: Date, extra: Record<string, unknown>): PlatformEvent {
  return {
    specversion: '1.0', id: `${quoteId}:r${revision.revision}:${type}`, source: '/companyos/revops/quotes', type, time: at.toISOString(), subject: quoteId, tenantid: tenant,
    data: {
      quote_id: quoteId, revision: revision.revision, account: revision.account, lead_id: revision.leadId, currency: revision.currency, list_price: revision.listPrice,
      final_price: revision.finalPrice, discount_percent: revision.discountPercent, band: revision.band,
      reason_category: revision.reasonCategory, ...extra,
    },
  };
}

export function toRevision(row: Record<string, unknown>): QuoteRevision {
  return {
    revision: Number(row.revision), account: String(row.account), leadId: row.lead_id ? String(row.lead_id) : null, currency: String(row.currency),
    listPrice: fromUnits(toUnits(row.list_price)), finalPrice: fromUnits(toUnits(row.final_price)), discountPercent: fromUnits(toUnits(row.discount_percent)),
    band: String(row.band), terms: (typeof row.terms === 'string' ? JSON.parse(row.terms) : row.terms) as QuoteTerms, termsHash: String(row.terms_hash),
    approvalRunId: row.approval_run_id ? String(row.approval_run_id) : null, reasonCategory: row.reason_category ? String(row.reason_category) : null,
    reason: row.reason ? String(row.reason) : null, quotedBy: String(row.quoted_by), quotedAt: new Date(row.quoted_at as Date),
  };
}

export function toApproval(row: Record<string, unknown>): QuoteApproval {
  return {
    termsHash: String(row.terms_hash), revision: Number(row.revision), band: String(row.band), runId: row.run_id ? String(row.run_id) : null,
    approvedAt: new Date(row.approved_at as Date), record: JSON.parse(String(row.record)) as ApprovalRecordJson, receiptId: String(row.receipt_id),
  };
}
