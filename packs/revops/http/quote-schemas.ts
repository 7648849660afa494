import { receiptIdHeader, receiptIdSchema } from '../../../surfaces/http/kit/index.ts';
import { BILLING_PERIODS, DISCOUNT_REASONS } from '../index.ts';

/** JSON Schemas of quotes over the wire: they validate requests, serialize replies and feed /openapi.json. */

const ID = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const MONEY = { type: 'string', pattern: '^\\d{1,24}(\\.\\d{1,10})?$', description: 'A decimal string (at most 10 decimals): money is never a float.' } as const;
const reasonSchema = {
  type: 'object', additionalProperties: false, required: ['category', 'text'],
  properties: {
    category: { type: 'string', enum: [...DISCOUNT_REASONS] },
    text: { type: 'string', maxLength: 2000, description: 'A sentence (at least 20 characters above the automatic band).' },
  },
} as const;
const termsSchema = {
  type: 'object', additionalProperties: false, required: ['term_months', 'billing'],
  properties: {
    term_months: { type: 'integer', minimum: 1, maximum: 120 },
    billing: { type: 'string', enum: [...BILLING_PERIODS] },
    payment_days: { type: 'integer', minimum: 0, maximum: 365, description: 'Net payment days.' },
  },
} as const;

const quoteFields = {
  account: { type: 'string', minLength: 1, maxLength: 300, description: 'Who the quote is for.' },
  lead_id: { type: 'string', maxLength: 128, description: 'The lead it came from.' },
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' },
  list_price: { ...MONEY, description: 'The price list total for the term.' },
  final_price: { ...MONEY, description: 'What the customer is asked to pay for the term.' },
  terms: termsSchema,
  rationale: { ...reasonSchema, description: "Why the discount: required above the automatic band (over 10%), where it is the approval run's rationale." },
} as const;

/** A requote: the quote's fields again, as they now stand. */
export const revisionInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['account', 'currency', 'list_price', 'final_price', 'terms'],
  properties: quoteFields,
} as const;

export const quoteInputSchema = {
  ...revisionInputSchema,
  properties: { id: { type: 'string', pattern: ID, maxLength: 128, description: "The client's id for the quote (a new one when absent)." }, ...quoteFields },
} as const;

const nullableText = { type: ['string', 'null'] } as const;

const revisionSchema = {
  type: 'object',
  required: ['revision', 'account', 'currency', 'list_price', 'final_price', 'discount_percent', 'band', 'terms', 'terms_hash', 'quoted_by', 'quoted_at'],
  properties: {
    revision: { type: 'integer' },
    account: { type: 'string' },
    lead_id: nullableText,
    currency: { type: 'string' },
    list_price: { type: 'string' },
    final_price: { type: 'string' },
    discount_percent: { type: 'string', description: '(list − final) ÷ list × 100, exact to 10 decimals.' },
    band: { type: 'string', description: 'Its band of the discount matrix: automatic (≤ 10%), sales-lead (≤ 20%), finance-and-ceo.' },
    terms: termsSchema,
    terms_hash: { type: 'string', description: 'SHA-256 of the canonical price and terms: a revision that repeats approved terms needs no new approval.' },
    approval_run_id: { ...nullableText, description: 'The revops-discount run this revision asked for.' },
    reason: { type: ['object', 'null'], properties: reasonSchema.properties },
    quoted_by: { type: 'string' },
    quoted_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const quoteSchema = {
  type: 'object',
  required: ['id', 'tenant', 'status', 'current', 'revisions', 'approval', 'outcome'],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    status: { type: 'string', enum: ['approved', 'awaiting-approval', 'denied', 'expired', 'cancelled', 'failed', 'won', 'lost'] },
    current: revisionSchema,
    revisions: { type: 'array', items: revisionSchema },
    approval: {
      type: ['object', 'null'],
      description: "The approval the current terms stand on, as receipted (null: not approved).",
      properties: {
        revision: { type: 'integer', description: 'The revision whose terms were approved (an earlier one with the same terms, after an unchanged requote).' },
        band: { type: 'string' }, run_id: nullableText, approved_at: { type: 'string', format: 'date-time' }, receipt_id: { type: 'string' },
        record: { type: 'object', additionalProperties: true, description: 'What the receipt signs: prices, discount, reason, approvers with their roles and rationales.' },
      },
    },
    outcome: {
      type: ['object', 'null'],
      properties: {
        outcome: { type: 'string', enum: ['won', 'lost'] }, revision: { type: 'integer' }, decided_at: { type: 'string', format: 'date-time' }, decided_by: { type: 'string' },
        activation_run_id: { ...nullableText, description: 'The revops-activation run the signature requested.' },
      },
    },
  },
} as const;

export const quoteReplySchema = {
  ...quoteSchema,
  headers: receiptIdHeader,
  required: [...quoteSchema.required, 'receipt_id'],
  properties: { ...quoteSchema.properties, receipt_id: receiptIdSchema },
} as const;

export const quoteIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 128, description: "The quote's id in the caller's tenant." } },
} as const;
