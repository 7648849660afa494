import { timeOrderedId } from '../../../kernel/ids/index.ts';
import { createHash } from 'node:crypto';
import { DomainError } from '../../../kernel/errors/index.ts';
import { fromUnits } from '../../../kernel/warehouse/index.ts';
import { KeyedMutex } from '../../../platform/governance/index.ts';
import { join, sql } from '../../../platform/tenancy/index.ts';
import type { RunStatus, WorkflowEngine } from '../../../platform/workflows/index.ts';
import { canonicalJson } from '../canonical-json.ts';
import { ACTIVATION_WORKFLOW, parseActivation } from '../activation/activate-customer.ts';
import { discountOf, parseMoney } from './discount-matrix.ts';
import type { QuoteApprovalDeps, QuoteApprovals } from './quote-approvals.ts';
import {
  quoteEvent, readApprovals, readRevisions, toApproval, toRevision, type DiscountParams, type Quote, type QuoteInput, type QuoteStatus,
} from './quote-rows.ts';

/** Quotes read at a time when a list filters on where they stand. */
const PAGE = 200;

/** The workflow type a discount above the automatic band is approved by. */
export const DISCOUNT_WORKFLOW = 'revops-discount';

interface QuoteBookDeps extends QuoteApprovalDeps {
  approvals: QuoteApprovals;
  workflows: Pick<WorkflowEngine, 'request' | 'statuses' | 'cancel'>;
}

/**
 * Quotes and their discounts: each revision priced in decimals and put in its band of the
 * discount matrix; the automatic band approved at once, the others by a `revops-discount` run
 * (a sales lead; finance AND the CEO); terms approved once stand for every revision that repeats
 * them. Every approval is receipted with prices, discount, reason and the approvers' roles.
 */
export class QuoteBook {
  /** One revision of a quote at a time in this process; the unique key settles it across processes. */
  private readonly revising = new KeyedMutex();

  constructor(private readonly deps: QuoteBookDeps) {}

  /** A new quote (revision 1). */
  create(tenant: string, input: QuoteInput, by: string): Promise<Quote> {
    return this.addRevision(tenant, input.id ?? timeOrderedId(), input, by, 'new');
  }

  /** A requote: the next revision of an open quote. */
  revise(tenant: string, quoteId: string, input: QuoteInput, by: string): Promise<Quote> {
    return this.addRevision(tenant, quoteId, input, by, 'revision');
  }

  /** Refuses, before anything is receipted, a quote that cannot be taken as sent. */
  async check(tenant: string, quoteId: string | undefined, input: QuoteInput, mode: 'new' | 'revision'): Promise<void> {
    priced(input);
    if (mode === 'new' && input.id === undefined) return;
    const revisions = await readRevisions(this.deps.stateScope(tenant), quoteId ?? input.id!);
    if (mode === 'new' && revisions.length > 0) throw new DomainError('QUOTE_EXISTS', `Quote ${input.id} exists in ${tenant}; revise it instead.`);
    if (mode === 'revision') await this.get(tenant, quoteId!).then((quote) => open(quote));
  }

  /** Refuses, before anything is receipted, an outcome the quote cannot take. */
  async checkOutcome(tenant: string, quoteId: string, outcome: 'won' | 'lost', activation?: unknown): Promise<void> {
    decidable(await this.get(tenant, quoteId), outcome, activation);
  }

  async get(tenant: string, quoteId: string): Promise<Quote> {
    const [quote] = await this.load(tenant, [quoteId]);
    if (!quote) throw new DomainError('QUOTE_NOT_FOUND', `No quote ${quoteId} in ${tenant}.`);
    return quote;
  }

  /** The tenant's quotes, newest revision first. */
  async list(tenant: string, filter: { status?: QuoteStatus; limit?: number } = {}): Promise<Quote[]> {
    const scope = this.deps.stateScope(tenant);
    const limit = filter.limit ?? 100;
    const rows = await scope.query(sql`SELECT quote_id, max(quoted_at) AS last FROM ${scope.table('revops_quotes')} GROUP BY quote_id ORDER BY last DESC, quote_id`);
    const ids = rows.map((r) => String(r.quote_id));
    if (!filter.status) return this.load(tenant, ids.slice(0, limit));
    // Where a quote stands is read, not stored: a page at a time until the limit is filled.
    const matching: Quote[] = [];
    for (let i = 0; i < ids.length && matching.length < limit; i += PAGE) {
      matching.push(...(await this.load(tenant, ids.slice(i, i + PAGE))).filter((q) => q.status === filter.status));
    }
    return matching.slice(0, limit);
  }

  /**
   * Records the outcome of a quote, once: lost, or won on approved terms only — a signed contract,
   * which requests the customer's activation (a `revops-activation` run: tenant, plan, packs).
   */
  async decide(tenant: string, quoteId: string, outcome: 'won' | 'lost', by: string, activation?: unknown): Promise<Quote> {
    const release = await this.revising.acquire([`${tenant}/${quoteId}`]);
    try {
      const quote = decidable(await this.get(tenant, quoteId), outcome, activation);
      const at = this.deps.now();
      const activationRun = outcome === 'won'
        ? (await this.deps.workflows.request({
          tenant, type: ACTIVATION_WORKFLOW, requestedBy: by,
          rationale: { category: 'new-customer', text: `${quote.current.account} signed quote ${quoteId} (revision ${quote.current.revision})` },
          params: { quote_id: quoteId, account: quote.current.account, signed_at: at.toISOString(), ...parseActivation(activation) },
        })).runId
        : null;
      const added = await this.deps.state.transaction((tx) => tx.insertNew('revops_quote_outcomes', [{
        tenant_id: tenant, quote_id: quoteId, revision: quote.current.revision, outcome, decided_at: at, decided_by: by, activation_run_id: activationRun,
      }]));
      if (added === 0) {
        if (activationRun) await this.cancelRun(tenant, activationRun, by);
        throw new DomainError('QUOTE_CLOSED', `Quote ${quoteId} was decided meanwhile.`);
      }
      await this.deps.emit(tenant, [quoteEvent(tenant, quoteId, quote.current, `revops.quote.${outcome}`, at, { outcome, decided_by: by, activation_run_id: activationRun })]);
      return this.get(tenant, quoteId);
    } finally {
      release();
    }
  }

  private async addRevision(tenant: string, quoteId: string, input: QuoteInput, by: string, mode: 'new' | 'revision'): Promise<Quote> {
    const { list, final, discount } = priced(input);
    const release = await this.revising.acquire([`${tenant}/${quoteId}`]);
    try {
      const before = (await this.load(tenant, [quoteId]))[0];
      if (mode === 'new' && before) throw new DomainError('QUOTE_EXISTS', `Quote ${quoteId} exists in ${tenant}; revise it instead.`);
      if (mode === 'revision' && !before) throw new DomainError('QUOTE_NOT_FOUND', `No quote ${quoteId} in ${tenant}.`);
      if (before) open(before);
      const revision = (before?.current.revision ?? 0) + 1;
      const listPrice = fromUnits(list);
      const finalPrice = fromUnits(final);
      const terms = { term_months: input.terms.term_months, billing: input.terms.billing, ...(input.terms.payment_days === undefined ? {} : { payment_days: input.terms.payment_days }) };
      const termsHash = createHash('sha256').update(canonicalJson({ currency: input.currency, list_price: listPrice, final_price: finalPrice, terms })).digest('hex');
      const params: DiscountParams = {
        quote_id: quoteId, revision, account: input.account, currency: input.currency, list_price: listPrice, final_price: finalPrice,
        discount_percent: discount.percent, band: discount.band.name, terms_hash: termsHash,
      };
      const approvedAlready = (await readApprovals(this.deps.stateScope(tenant), quoteId)).some((a) => a.termsHash === termsHash);
      const reason = input.rationale ? { category: input.rationale.category, text: input.rationale.text.trim() } : null;
      let runId: string | null = null;
      if (!approvedAlready && discount.band.approval) {
        if (!reason) throw new DomainError('QUOTE_RATIONALE_REQUIRED', `A ${discount.percent.replace(/\.?0+$/, '')}% discount is in the ${discount.band.name} band: send a rationale (category and sentence).`);
        // Asked for first: a rationale the workflow refuses leaves no revision behind.
        runId = (await this.deps.workflows.request({ tenant, type: DISCOUNT_WORKFLOW, requestedBy: by, rationale: reason, params })).runId;
      }
      const quotedAt = this.deps.now();
      // The automatic band's approval is stored with the revision it approves: no revision stands unapproved after a crash.
      const automatic = !approvedAlready && !discount.band.approval ? this.deps.approvals.row(tenant, params, reason, [], null, quotedAt) : undefined;
      try {
        await this.deps.state.transaction(async (tx) => {
          await tx.insert('revops_quotes', [{
            tenant_id: tenant, quote_id: quoteId, revision, account: input.account, lead_id: input.lead_id ?? null, currency: input.currency,
            list_price: listPrice, final_price: finalPrice, discount_percent: discount.percent, band: discount.band.name, terms: JSON.stringify(terms),
            terms_hash: termsHash, approval_run_id: runId, reason_category: reason?.category ?? null, reason: reason?.text ?? null, quoted_by: by, quoted_at: quotedAt,
          }]);
          if (automatic) await tx.insert('revops_quote_approvals', [automatic as never]);
        });
      } catch (error) {
        if (runId) await this.cancelRun(tenant, runId, by);
        throw error;
      }
      // The run of the revision this one replaces asks approvers about terms no longer quoted.
      const superseded = before?.current.approvalRunId;
      if (superseded && before.status === 'awaiting-approval') await this.cancelRun(tenant, superseded, by);
      const current = (await readRevisions(this.deps.stateScope(tenant), quoteId)).at(-1)!;
      await this.deps.emit(tenant, [quoteEvent(tenant, quoteId, current, 'revops.quote.revised', quotedAt, {
        approval: approvedAlready ? 'approved-before' : discount.band.approval ? 'requested' : 'automatic', run_id: runId,
      })]);
      if (automatic) await this.deps.approvals.receipt(tenant, quoteId, toApproval(automatic));
      return await this.get(tenant, quoteId);
    } finally {
      release();
    }
  }

  private async cancelRun(tenant: string, runId: string, by: string): Promise<void> {
    try {
      await this.deps.workflows.cancel(tenant, runId, by);
    } catch (error) {
      // Decided meanwhile: its outcome stands for the terms it was about.
      if (!(error instanceof DomainError && error.code === 'WORKFLOW_STATE_INVALID')) throw error;
    }
  }

  private async load(tenant: string, quoteIds: readonly string[]): Promise<Quote[]> {
    if (quoteIds.length === 0) return [];
    const scope = this.deps.stateScope(tenant);
    const ids = join(quoteIds.map((id) => sql`${id}`), ', ');
    const [revisionRows, approvalRows, outcomeRows] = await Promise.all([
      scope.query(sql`SELECT * FROM ${scope.table('revops_quotes')} WHERE quote_id IN (${ids}) ORDER BY quote_id, revision`),
      scope.query(sql`SELECT * FROM ${scope.table('revops_quote_approvals')} WHERE quote_id IN (${ids})`),
      scope.query(sql`SELECT * FROM ${scope.table('revops_quote_outcomes')} WHERE quote_id IN (${ids})`),
    ]);
    const found = quoteIds.flatMap((id) => {
      const revisions = revisionRows.filter((r) => r.quote_id === id).map(toRevision);
      if (revisions.length === 0) return [];
      const current = revisions.at(-1)!;
      const approval = approvalRows.filter((r) => r.quote_id === id).map(toApproval).find((a) => a.termsHash === current.termsHash) ?? null;
      return [{ id, revisions, current, approval, decided: outcomeRows.find((r) => r.quote_id === id) }];
    });
    // The runs of the quotes neither approved nor decided, read together.
    const runs = await this.deps.workflows.statuses(tenant, found.filter((q) => !q.approval && !q.decided && q.current.approvalRunId).map((q) => q.current.approvalRunId!));
    const quotes: Quote[] = [];
    for (const { id, revisions, current, approval, decided } of found) {
      const outcome = decided
        ? {
          outcome: String(decided.outcome) as 'won' | 'lost', revision: Number(decided.revision), decidedAt: new Date(decided.decided_at as Date), decidedBy: String(decided.decided_by),
          activationRunId: decided.activation_run_id ? String(decided.activation_run_id) : null,
        }
        : null;
      // No approval and no run cannot stand: the automatic band stores its approval with the revision.
      const run = current.approvalRunId ? runs.get(current.approvalRunId) : undefined;
      const status: QuoteStatus = outcome ? outcome.outcome : approval ? 'approved' : run ? QUOTE_STATUS_OF_RUN[run] : 'awaiting-approval';
      quotes.push({ id, tenant, status, current, revisions, approval, outcome });
    }
    return quotes;
  }

}

const QUOTE_STATUS_OF_RUN: Record<RunStatus, QuoteStatus> = {
  requested: 'awaiting-approval', 'awaiting-approval': 'awaiting-approval', approved: 'awaiting-approval', executing: 'awaiting-approval',
  // Succeeded is the approval recorded: answered from its row above.
  succeeded: 'approved', active: 'approved', revoked: 'approved',
  denied: 'denied', expired: 'expired', cancelled: 'cancelled', 'preflight-failed': 'failed', failed: 'failed', 'rolled-back': 'failed',
};

function priced(input: QuoteInput): { list: bigint; final: bigint; discount: ReturnType<typeof discountOf> } {
  const list = parseMoney(input.list_price, 'list_price');
  const final = parseMoney(input.final_price, 'final_price');
  return { list, final, discount: discountOf(list, final) };
}

function decidable(quote: Quote, outcome: 'won' | 'lost', activation: unknown): Quote {
  open(quote);
  if (outcome === 'won') parseActivation(activation);
  else if (activation !== undefined) throw new DomainError('QUOTE_INVALID', 'A lost quote activates no one: send no activation.');
  if (outcome === 'won' && quote.status !== 'approved') {
    throw new DomainError('QUOTE_NOT_APPROVED', `Quote ${quote.id} revision ${quote.current.revision} is ${quote.status}; it is won on approved terms only.`);
  }
  return quote;
}

function open(quote: Quote): Quote {
  if (quote.outcome) throw new DomainError('QUOTE_CLOSED', `Quote ${quote.id} was ${quote.outcome.outcome} on ${quote.outcome.decidedAt.toISOString()}.`);
  return quote;
}

