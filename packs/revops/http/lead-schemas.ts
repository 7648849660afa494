import { receiptIdHeader, receiptIdSchema } from '../../../surfaces/http/kit/index.ts';
import { LEAD_SOURCES, leadInputSchema } from '../index.ts';

export { leadInputSchema };

/** JSON Schemas of leads over the wire: they validate requests, serialize replies and feed /openapi.json. */

export const MAX_LEAD_BATCH = 1_000;


export const routingSchema = {
  type: ['object', 'null'],
  description: "The lead's routing, receipted (null: not routed — not new, or the tenant has no routing policy).",
  properties: {
    assignee: { type: ['string', 'null'], description: 'Who the lead went to; null with `reason` when no one could take it.' },
    pool: { type: ['string', 'null'] },
    rule: { type: ['string', 'null'], description: 'The rule that matched.' },
    reason: { type: ['string', 'null'], enum: ['no-rule-matched', 'no-member-available', null] },
    policy_revision: { type: 'string' },
    routed_at: { type: 'string', format: 'date-time' },
    receipt_id: { type: 'string', description: 'The routing receipt in the tenant\'s ledger (its digest is the routing record\'s SHA-256).' },
    due_at: { type: ['string', 'null'], format: 'date-time', description: "When the assignee must have touched it by (the rule's SLA)." },
  },
} as const;

export const leadBatchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['leads'],
  properties: { leads: { type: 'array', minItems: 1, maxItems: MAX_LEAD_BATCH, items: leadInputSchema } },
} as const;

const nullableText = { type: ['string', 'null'] } as const;

export const leadSchema = {
  type: 'object',
  required: ['id', 'tenant', 'source', 'received_at', 'status', 'problems'],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    source: { type: 'string', enum: [...LEAD_SOURCES] },
    origin: nullableText,
    received_at: { type: 'string', format: 'date-time' },
    email: nullableText,
    phone: { type: ['string', 'null'], description: 'E.164.' },
    first_name: nullableText,
    last_name: nullableText,
    company: nullableText,
    domain: { type: ['string', 'null'], description: "The company's domain (the email's, or the website's for free mail)." },
    country: nullableText,
    status: { type: 'string', enum: ['new', 'parked', 'duplicate', 'merged'], description: '`parked`: spam, with its `disposition`; `duplicate`: of `duplicate_of`, found at intake; `merged` into `duplicate_of` by a merge.' },
    disposition: { type: ['string', 'null'], enum: ['honeypot', 'disposable-domain', 'rate-limited', null] },
    duplicate_of: nullableText,
    match_rule: { type: ['string', 'null'], description: 'Which rule found the duplicate: email, phone-and-name, email-typo, name-and-company, name-and-domain.' },
    problems: { type: 'array', items: { type: 'string' }, description: 'What was given but could not be used: email-invalid, phone-invalid.' },
    replayed: { type: 'boolean', description: 'The id was taken before: this is the lead as it was, nothing was added.' },
    routing: routingSchema,
  },
} as const;

export const leadIntakeReplySchema = {
  type: 'object',
  description: 'Taken: each lead as judged, and the receipt of the call.',
  headers: receiptIdHeader,
  required: ['leads', 'receipt_id'],
  properties: { leads: { type: 'array', items: leadSchema }, receipt_id: receiptIdSchema },
} as const;

export const leadIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 128, description: "The lead's id in the caller's tenant." } },
} as const;

export const routingPolicySchema = {
  type: 'object',
  description: 'A routing policy: `pools` (name → `{strategy: "round-robin" | "lowest-open", members: [{id, weight?, capacity?, hours?: {tz, days, from, to}}], reassign_on_breach?: true}` — a lead left untouched past its SLA goes to another member, once) and `rules` (in order: `{id, when?, pool, sla_minutes?}`; `when` tests `field` with `eq`, `in`, `gte` or `lte`, or groups them with `all` / `any`).',
  required: ['pools', 'rules'],
  properties: { revision: { type: 'string' }, pools: { type: 'object', additionalProperties: true }, rules: { type: 'array', items: { type: 'object', additionalProperties: true } } },
} as const;

const decisionSide = { type: 'object', properties: { assignee: { type: ['string', 'null'] }, rule: { type: ['string', 'null'] } } } as const;

export const replayReplySchema = {
  type: 'object',
  required: ['policy_revision', 'replayed', 'same', 'changed', 'leads'],
  properties: {
    policy_revision: { type: ['string', 'null'], description: "The draft's revision; null when each lead was replayed by the policy it was routed by." },
    replayed: { type: 'integer' },
    same: { type: 'integer', description: 'Leads that come out as recorded.' },
    changed: { type: 'integer', description: 'Leads that would go elsewhere (a draft), or — replaying the recorded policies — that did not reproduce (never expected).' },
    leads: { type: 'array', items: { type: 'object', properties: { lead_id: { type: 'string' }, recorded: decisionSide, replayed: decisionSide, same: { type: 'boolean' } } } },
  },
} as const;
