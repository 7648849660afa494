import { DomainError } from '../../../kernel/errors/index.ts';
import type { WorkflowType } from '../../../platform/workflows/index.ts';
import { bandNamed, DISCOUNT_MATRIX, DISCOUNT_RATIONALE_MIN_LENGTH, DISCOUNT_REASONS } from './discount-matrix.ts';
import type { QuoteApprovals } from './quote-approvals.ts';
import { DISCOUNT_WORKFLOW } from './quote-book.ts';
import type { DiscountParams } from './quote-rows.ts';

const HOUR = 60 * 60 * 1000;
const TEXT_FIELDS = ['quote_id', 'account', 'currency', 'list_price', 'final_price', 'discount_percent', 'band', 'terms_hash'] as const;

/**
 * A quote's discount above the automatic band, approved by its band's approvers (a sales lead;
 * finance AND the CEO), none of them the rep who asked; each gives a reason from the taxonomy.
 * The last approval is the act: the engine then records the approval of the quote's terms and
 * its receipt. Requested by `POST /v1/revops/quotes` (and its revisions), never directly.
 */
export function discountApproval({ approvals }: { approvals: QuoteApprovals }): WorkflowType<DiscountParams> {
  return {
    name: DISCOUNT_WORKFLOW,
    pack: 'revops',
    description: "Approve a quote's discount by its band of the discount matrix (over 10%: a sales lead; over 20%: finance AND the CEO). Requested by quoting.",
    parseParams(input) {
      const params = (input ?? {}) as Record<string, unknown>;
      const wrong = TEXT_FIELDS.filter((field) => typeof params[field] !== 'string');
      if (typeof input !== 'object' || input === null || wrong.length > 0 || !Number.isInteger(params.revision)) {
        throw new DomainError('WORKFLOW_PARAMS_INVALID', `${DISCOUNT_WORKFLOW}: runs are requested by quoting (POST /v1/revops/quotes)${wrong.length ? `; missing ${wrong.join(', ')}` : ''}.`);
      }
      if (!bandNamed(String(params.band)).approval) throw new DomainError('WORKFLOW_PARAMS_INVALID', `The ${String(params.band)} band needs no approval.`);
      return Object.fromEntries([...TEXT_FIELDS, 'revision'].map((field) => [field, params[field]])) as unknown as DiscountParams;
    },
    // The strictest band's rule, as the type is listed; each run is decided by its own band's.
    approval: DISCOUNT_MATRIX.at(-1)!.approval!,
    approvalFor: (params) => bandNamed(params.band).approval!,
    executeOnApproval: true,
    separateDuties: true,
    rationale: { categories: DISCOUNT_REASONS, minLength: DISCOUNT_RATIONALE_MIN_LENGTH },
    approvalExpiryMs: 14 * 24 * HOUR,
    approvalSlaMs: 24 * HOUR,
    steps: {
      execute: {
        // Recording an approval twice adds nothing.
        onInterrupt: 'retry',
        async run(context) {
          const approvers = context.approvals.map((a) => ({ approver: a.approver, roles: [...a.roles], rationale: { category: a.rationaleCategory, text: a.rationale } }));
          const approval = await approvals.record(context.tenant, context.params, approvers, context.runId);
          context.log(`quote ${context.params.quote_id} revision ${context.params.revision}: ${context.params.discount_percent}% off approved by ${approvers.map((a) => a.approver).join(', ')}`);
          return { receipt_id: approval.receiptId, terms_hash: approval.termsHash };
        },
      },
    },
  };
}
