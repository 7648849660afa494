/** JSON Schemas of API requests and responses: they type the routes, serialize the replies and feed /openapi.json. */
import { cloudEventSchema } from '../../../kernel/schemas/index.ts';

const stringOrNull = { type: ['string', 'null'] } as const;

/** An exact decimal as the warehouse keeps money (DECIMAL(38, 10)): a string, never a float. */
export const decimal = { type: 'string', pattern: '^-?[0-9]+[.][0-9]{10}$', description: 'An exact decimal with 10 decimals, as a string.' } as const;
/** A percentage with 4 decimals, as a string; null when its whole is zero. */
export const percentOrNull = { type: ['string', 'null'], pattern: '^-?[0-9]+[.][0-9]{4}$', description: 'A percentage with 4 decimals, as a string; null when there is nothing to divide by.' } as const;
/** An RFC 3339 time in UTC, as the API writes it. */
export const timestamp = { type: 'string', format: 'date-time' } as const;

/** A month, as FinOps routes take it: `period=YYYY-MM`. */
export const period = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'A month, YYYY-MM.' } as const;

/**
 * The receipt header of a privileged route's success (surfaces/http/kit/gate.ts): the
 * id of the signed receipt in the caller's ledger (`GET /v1/provenance/receipts/{id}`).
 */
export const receiptHeader = {
  'x-companyos-receipt': {
    type: 'string',
    description: 'The id of this action\'s signed receipt in the tenant\'s ledger (GET /v1/provenance/receipts/{id}); absent when the call changed nothing.',
  },
} as const;

/**
 * A success answered as JSON, or as CSV (its table, one row a line) when the
 * client sends `Accept: text/csv` (surfaces/http/kit/csv-reply.ts).
 */
export function jsonOrCsv<S extends object>(description: string, schema: S, csv: string) {
  return {
    description,
    content: {
      'application/json': { schema },
      'text/csv': { schema: { type: 'string', description: csv } },
    },
  } as const;
}

export const ingestResultSchema = {
  type: 'object',
  description: 'What became of the events: stored, already stored, or parked in quarantine with why.',
  required: ['accepted', 'duplicates', 'rejected'],
  properties: {
    accepted: { type: 'integer', description: 'Events stored now (in Kafka ingest mode: published).' },
    duplicates: { type: 'integer', description: 'Events already stored (same tenant, source and id), not stored again (always 0 in Kafka ingest mode).' },
    rejected: {
      type: 'array',
      description: 'Events refused and parked in quarantine, with why.',
      items: {
        type: 'object',
        required: ['index', 'id', 'code', 'message'],
        properties: {
          index: { type: 'integer', description: 'Position in the batch (0 for a single event; NDJSON counts non-blank lines).' },
          id: { ...stringOrNull, description: 'The event\'s `id`, when it had one.' },
          code: { type: 'string', description: 'Why it was refused: a per-event code of `companyos errors` (EVENT_MISSING_TENANT, EVENT_NOT_JSON, …).' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export const eventPageSchema = {
  type: 'object',
  description: 'A page of events, as CloudEvents, in time order.',
  required: ['events', 'next_cursor'],
  properties: {
    events: {
      type: 'array',
      items: {
        type: 'object',
        description: 'A stored event as a CloudEvent (the CloudEvent schema): its attributes, its extension attributes and its `data` or `data_base64`.',
        required: ['specversion', 'id', 'source', 'type', 'time', 'tenantid', 'policyversion'],
        properties: cloudEventSchema.properties,
        additionalProperties: true,
      },
    },
    next_cursor: { ...stringOrNull, description: 'Pass as `cursor` for the next page; null on the last page.' },
  },
} as const;

export const eventStatsSchema = {
  type: 'object',
  description: 'How many events the tenant has, in all and per type.',
  required: ['tenant', 'total', 'by_type'],
  properties: {
    tenant: { type: 'string' },
    total: { type: 'integer' },
    by_type: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'count', 'first_time', 'last_time'],
        properties: {
          type: { type: 'string' },
          count: { type: 'integer' },
          first_time: { ...timestamp, description: 'The earliest event `time` of this type.' },
          last_time: { ...timestamp, description: 'The latest event `time` of this type.' },
        },
      },
    },
  },
} as const;

export const quarantinePageSchema = {
  type: 'object',
  description: 'A page of parked events, newest first.',
  required: ['items', 'next_cursor'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['quarantine_id', 'received_at', 'channel', 'batch_index', 'event_id', 'event_source', 'reason_code', 'reason_text', 'payload'],
        properties: {
          quarantine_id: { type: 'string' },
          received_at: timestamp,
          channel: { type: 'string', description: 'How the event came in: http, file, kafka or seed.' },
          batch_index: { type: ['integer', 'null'], description: 'Its position in the batch it came in, when it came in one.' },
          event_id: { ...stringOrNull, description: 'The event\'s `id`, when it could be read.' },
          event_source: { ...stringOrNull, description: 'The event\'s `source`, when it could be read.' },
          reason_code: { type: 'string', description: 'Why it was refused (the per-event codes of `companyos errors`).' },
          reason_text: { type: 'string' },
          payload: { type: 'string', description: 'The event as it was received.' },
        },
      },
    },
    next_cursor: { ...stringOrNull, description: 'Pass as `cursor` for the next page; null on the last page.' },
  },
} as const;

export const pageQuerySchema = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'At most this many items.' },
  cursor: { type: 'string', maxLength: 2048, description: 'The `next_cursor` of the previous page.' },
} as const;

/** The id of the receipt a privileged write appended to the tenant's ledger (GET /v1/provenance/receipts/{id}). */
export const receiptIdSchema = { type: 'string', description: 'The receipt of this action in the tenant\'s ledger (`GET /v1/provenance/receipts/{id}`).' } as const;

/** The header every receipted answer carries, besides `receipt_id` in its body. */
export const receiptIdHeader = {
  'x-companyos-receipt': { type: 'string', description: 'The receipt of this action, as `receipt_id` says (absent when nothing was done).' },
} as const;
