import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ResourceAttributes } from '../../../kernel/policies/index.ts';
import { bodyErrorsAs, errorResponses } from '../../../surfaces/http/kit/index.ts';
import { ONBOARDING_SLA_DAYS, type Quote, type QuoteBook, type QuoteInput, type QuoteRevision, type QuoteStatus } from '../index.ts';
import { quoteIdParams, quoteInputSchema, quoteReplySchema, quoteSchema, revisionInputSchema } from './quote-schemas.ts';

/** Commercial terms: confidential. */
const quoteResource = (region: string, id: string) => (request: FastifyRequest): ResourceAttributes => ({
  id, tenant: request.principal!.tenant, kind: 'Quote', data_class: 'confidential', region,
});
const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

const MATRIX =
  'The discount, (list − final) ÷ list, is computed exactly in decimals and put in its band of the matrix: up to 10% it is approved at once; ' +
  'over 10% up to 20% a `revops-discount` run needs a sales lead; over 20%, finance AND the CEO — none of them the rep who asks, each with a ' +
  'reason from the taxonomy (design-partner, competitive, uplift, multi-year, strategic, other) and a sentence. Terms approved once stand for ' +
  'any later revision that repeats them; changed terms need a new approval. Every approval is receipted with list and final price, discount, ' +
  'reason and the approvers\' roles. Privileged: receipted.';

/** Quotes, requotes and their outcomes (RevOps). */
export function quoteRoutes(app: FastifyInstance, deps: { quotes: QuoteBook; region: string }): void {
  app.post<{ Body: QuoteInput }>('/v1/revops/quotes', {
    schema: {
      operationId: 'createQuote', summary: 'Quote a price', description: MATRIX, tags: ['revops'],
      body: {
        ...quoteInputSchema,
        examples: [{ account: 'Acme Corp', currency: 'USD', list_price: '120000.00', final_price: '102000.00', terms: { term_months: 12, billing: 'annual' }, rationale: { category: 'competitive', text: 'Competing with a cheaper incumbent on renewal' } }],
      },
      response: { 201: quoteReplySchema, ...errorResponses(400, 409) },
    },
    schemaErrorFormatter: bodyErrorsAs({ '': 'QUOTE_INVALID' }),
    config: {
      gate: {
        privileged: true, action: 'create', receipt: 'before', resource: quoteResource(deps.region, '(new)'),
        ready: (request) => deps.quotes.check(request.principal!.tenant, undefined, request.body as QuoteInput, 'new'),
      },
    },
  }, async (request, reply) => {
    const quote = await deps.quotes.create(request.principal!.tenant, request.body, request.gate!.principalId);
    return reply.code(201).send({ ...quoteJson(quote), receipt_id: request.receipt!.id });
  });

  app.post<{ Params: { id: string }; Body: QuoteInput }>('/v1/revops/quotes/:id/revisions', {
    schema: {
      operationId: 'reviseQuote', summary: 'Requote', description: `The quote's next revision, as it now stands. ${MATRIX}`, tags: ['revops'],
      params: quoteIdParams, body: revisionInputSchema, response: { 201: quoteReplySchema, ...errorResponses(400, 404, 409) },
    },
    schemaErrorFormatter: bodyErrorsAs({ '': 'QUOTE_INVALID' }),
    config: {
      gate: {
        privileged: true, action: 'update', receipt: 'before', resource: (request) => quoteResource(deps.region, idOf(request))(request),
        ready: (request) => deps.quotes.check(request.principal!.tenant, idOf(request), request.body as QuoteInput, 'revision'),
      },
    },
  }, async (request, reply) => {
    const quote = await deps.quotes.revise(request.principal!.tenant, request.params.id, request.body, request.gate!.principalId);
    return reply.code(201).send({ ...quoteJson(quote), receipt_id: request.receipt!.id });
  });

  app.get<{ Querystring: { status?: QuoteStatus; limit: number } }>('/v1/revops/quotes', {
    schema: {
      operationId: 'listQuotes', summary: 'List quotes', description: "The caller's tenant's quotes, the most recently revised first.", tags: ['revops'],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { status: { type: 'string', enum: quoteSchema.properties.status.enum }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 100 } },
      },
      response: { 200: { type: 'object', required: ['quotes'], properties: { quotes: { type: 'array', items: quoteSchema } } } },
    },
    config: { gate: { action: 'read', resource: quoteResource(deps.region, 'quotes') } },
  }, async (request) => ({ quotes: (await deps.quotes.list(request.principal!.tenant, request.query)).map(quoteJson) }));

  app.get<{ Params: { id: string } }>('/v1/revops/quotes/:id', {
    schema: { operationId: 'getQuote', summary: 'Get a quote', description: 'Every revision, the approval its current terms stand on, and its outcome.', tags: ['revops'], params: quoteIdParams, response: { 200: quoteSchema, ...errorResponses(404) } },
    config: { gate: { action: 'read', resource: (request) => quoteResource(deps.region, idOf(request))(request) } },
  }, async (request) => quoteJson(await deps.quotes.get(request.principal!.tenant, request.params.id)));

  app.post<{ Params: { id: string }; Body: { outcome: 'won' | 'lost'; activation?: unknown } }>('/v1/revops/quotes/:id/outcome', {
    schema: {
      operationId: 'decideQuote', summary: 'Record a quote won or lost',
      description:
        'Won — the contract signed — on approved terms only, with the customer to activate (tenant, plan, packs): that requests a `revops-activation` run, ' +
        `approved by onboarding within a day and executed within ${ONBOARDING_SLA_DAYS} days of the signature (breaches are reported as events). ` +
        'Lost at any time. Once per quote: a decided quote is not revised again. Privileged: receipted.',
      tags: ['revops'], params: quoteIdParams,
      body: {
        type: 'object', additionalProperties: false, required: ['outcome'],
        properties: {
          outcome: { type: 'string', enum: ['won', 'lost'] },
          activation: {
            type: 'object', additionalProperties: false, required: ['tenant', 'plan', 'packs'], description: 'Required when won: who to activate, on what.',
            properties: {
              tenant: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: "The customer's tenant on the platform." },
              plan: { type: 'string', minLength: 1, maxLength: 64 },
              packs: { type: 'array', maxItems: 32, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } },
            },
          },
        },
      },
      response: { 200: quoteReplySchema, ...errorResponses(400, 404, 409) },
    },
    schemaErrorFormatter: bodyErrorsAs({ '': 'QUOTE_INVALID' }),
    config: {
      gate: {
        privileged: true, action: 'update', receipt: 'before', resource: (request) => quoteResource(deps.region, idOf(request))(request),
        ready: (request) => {
          const body = request.body as { outcome: 'won' | 'lost'; activation?: unknown };
          return deps.quotes.checkOutcome(request.principal!.tenant, idOf(request), body.outcome, body.activation);
        },
      },
    },
  }, async (request) => {
    const quote = await deps.quotes.decide(request.principal!.tenant, request.params.id, request.body.outcome, request.gate!.principalId, request.body.activation);
    return { ...quoteJson(quote), receipt_id: request.receipt!.id };
  });
}

function quoteJson(quote: Quote) {
  return {
    id: quote.id, tenant: quote.tenant, status: quote.status, current: revisionJson(quote.current), revisions: quote.revisions.map(revisionJson),
    approval: quote.approval
      ? { revision: quote.approval.revision, band: quote.approval.band, run_id: quote.approval.runId, approved_at: quote.approval.approvedAt.toISOString(), receipt_id: quote.approval.receiptId, record: quote.approval.record }
      : null,
    outcome: quote.outcome
      ? {
        outcome: quote.outcome.outcome, revision: quote.outcome.revision, decided_at: quote.outcome.decidedAt.toISOString(), decided_by: quote.outcome.decidedBy,
        activation_run_id: quote.outcome.activationRunId,
      }
      : null,
  };
}

function revisionJson(revision: QuoteRevision) {
  return {
    revision: revision.revision, account: revision.account, lead_id: revision.leadId, currency: revision.currency, list_price: revision.listPrice,
    final_price: revision.finalPrice, discount_percent: revision.discountPercent, band: revision.band, terms: revision.terms, terms_hash: revision.termsHash,
    approval_run_id: revision.approvalRunId, reason: revision.reasonCategory ? { category: revision.reasonCategory, text: revision.reason ?? '' } : null,
    quoted_by: revision.quotedBy, quoted_at: revision.quotedAt.toISOString(),
  };
}
