/** JSON Schemas of API responses: they type the routes, serialize the replies and feed /openapi.json. */

const stringOrNull = { type: ['string', 'null'] } as const;

export const ingestResultSchema = {
  type: 'object',
  required: ['accepted', 'duplicates', 'rejected'],
  properties: {
    accepted: { type: 'integer', description: 'Events stored now.' },
    duplicates: { type: 'integer', description: 'Events already stored (same tenant, source and id), not stored again.' },
    rejected: {
      type: 'array',
      description: 'Events refused and parked in quarantine, with why.',
      items: {
        type: 'object',
        required: ['index', 'id', 'code', 'message'],
        properties: {
          index: { type: 'integer', description: 'Position in the batch (0 for a single event).' },
          id: stringOrNull,
          code: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export const eventPageSchema = {
  type: 'object',
  required: ['events', 'next_cursor'],
  properties: {
    events: { type: 'array', items: { type: 'object', additionalProperties: true } },
    next_cursor: { ...stringOrNull, description: 'Pass as `cursor` for the next page; null on the last page.' },
  },
} as const;

export const eventStatsSchema = {
  type: 'object',
  required: ['tenant', 'total', 'by_type'],
  properties: {
    tenant: { type: 'string' },
    total: { type: 'integer' },
    by_type: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          count: { type: 'integer' },
          first_time: { type: 'string', format: 'date-time' },
          last_time: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

export const quarantinePageSchema = {
  type: 'object',
  required: ['items', 'next_cursor'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          quarantine_id: { type: 'string' },
          received_at: { type: 'string', format: 'date-time' },
          channel: { type: 'string' },
          batch_index: { type: ['integer', 'null'] },
          event_id: stringOrNull,
          event_source: stringOrNull,
          reason_code: { type: 'string' },
          reason_text: { type: 'string' },
          payload: { type: 'string', description: 'The event as it was received.' },
        },
      },
    },
    next_cursor: stringOrNull,
  },
} as const;

export const pageQuerySchema = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  cursor: { type: 'string', maxLength: 2048 },
} as const;

/** A 201 answer: the created resource plus its `receiptId`. */
export const created = { 201: { type: 'object', additionalProperties: true } } as const;

export const errorReplies = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
} as const;

/** Errors a policy-gated route can answer besides the usual: no such thing, a conflict, a receipt that could not be written. */
export const gatedErrorReplies = { ...errorReplies, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 503: { $ref: 'Error#' } } as const;

/** A month, as FinOps routes take it: `period=YYYY-MM`. */
export const period = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' } as const;
