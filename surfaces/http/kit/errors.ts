import { MAX_JSON_DEPTH, REJECTION_CODES } from '../../../platform/ingest/index.ts';

/**
 * Every error the API answers with: a stable code for machines, an HTTP
 * status, and a sentence for people. Responses carry `{ code, message }`.
 */
export const API_ERRORS = {
  AUTH_MISSING_TOKEN: [401, 'This endpoint needs a bearer token: send "Authorization: Bearer <token>" (mint one with `companyos token`).'],
  AUTH_INVALID_TOKEN: [401, 'The bearer token is not valid: it is malformed, or was signed with another secret.'],
  AUTH_TOKEN_EXPIRED: [401, 'The bearer token has expired; mint a new one with `companyos token`.'],
  AUTH_TOKEN_NO_EXPIRY: [401, 'The bearer token has no expiry (`exp`); this server accepts only tokens that expire.'],
  AUTH_TOKEN_TOO_LONG_LIVED: [401, 'The bearer token lives longer than this server allows (COMPANYOS_MAX_TOKEN_TTL); mint a shorter-lived one.'],
  AUTH_TOKEN_NOT_YET_VALID: [401, 'The bearer token was issued in the future (`iat`); check the issuing machine\'s clock.'],
  AUTH_TOKEN_NO_ROLES: [401, 'The bearer token names no role this server knows; mint one with at least one `--role`.'],
  AUTH_TOKEN_WRONG_ENV: [401, 'The bearer token was minted for another environment (`env`) than this server\'s (COMPANYOS_ENV).'],
  TENANT_FORBIDDEN: [403, 'The token belongs to another tenant; writing events for a tenant needs that tenant\'s token or a connector role.'],
  ROLE_FORBIDDEN: [403, 'The token\'s roles do not allow this action.'],
  EVENT_TENANT_NOT_GRANTED: [403, 'An event claims a tenant the caller may not write to: only the platform operator\'s connectors, and connectors of a tenant granted it (kernel/policies/data/tenants.json), write events for another tenant.'],
  BODY_NOT_JSON: [400, 'The request body is not valid JSON.'],
  BODY_NOT_EVENTS: [400, 'The body must be one event (a JSON object) or a batch (a JSON array of events).'],
  BODY_TOO_LARGE: [413, 'The request body is larger than the server accepts.'],
  BODY_TOO_DEEP: [400, `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays.`],
  BATCH_TOO_LARGE: [413, 'The batch has more events than the server accepts in one request; split it.'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'Send events as application/cloudevents+json, application/cloudevents-batch+json, application/json or application/x-ndjson, or one event in CloudEvents binary mode (ce- headers).'],
  CLOUDEVENTS_MODE_UNSUPPORTED: [415, 'That CloudEvents content mode or event format is not accepted: send binary mode (ce- headers, one event), structured application/cloudevents+json or batched application/cloudevents-batch+json.'],
  CLOUDEVENTS_HEADER_INVALID: [400, 'A ce- header value is not valid percent-encoded UTF-8 (CloudEvents HTTP binding, 3.1.3.2).'],
  BAD_REQUEST: [400, 'The request is malformed.'],
  QUERY_INVALID: [400, 'A query parameter is not valid.'],
  VALUE_OUT_OF_RANGE: [400, 'A value in the request is outside what the warehouse can store or compare (a number too large, text it cannot read).'],
  URL_TOO_LONG: [414, 'A path segment of the URL is longer than the server accepts.'],
  CURSOR_INVALID: [400, 'The cursor is not one this server issued; start again without it.'],
  METER_UNKNOWN: [404, 'There is no such meter.'],
  METER_NOT_BUILT: [409, 'That meter has not been built yet.'],
  LINEAGE_NODE_UNKNOWN: [404, 'There is no such model, source table or meter in the lineage graph.'],
  LINEAGE_NOT_BUILT: [409, 'There is no lineage yet: run `companyos build` first.'],
  FINOPS_NOT_BUILT: [409, 'Cost attribution has not been built yet: import a bill (`companyos bills import`) and run `companyos build`.'],
  BILL_FILE_INVALID: [400, 'The bill file cannot be imported.'],
  SCENARIO_INVALID: [400, 'The pricing what-if cannot be simulated.'],
  PRICING_INVALID: [409, 'The price table (models/finops/pricing.yaml) is missing or has problems; every problem is listed.'],
  NOTHING_TO_INVOICE: [409, 'There is nothing to invoice for that month: no SKU charges were attributed to it. Nothing was done.'],
  INVOICE_NOT_FOUND: [404, 'There is no such invoice.'],
  SELECTOR_UNKNOWN: [400, 'A model selector (`select`, `exclude`) names no model of the project.'],
  MODELS_INVALID: [400, 'The SQL models do not compile; every problem is listed.'],
  BUILD_IN_PROGRESS: [409, 'A build is already running; try again when it is done.'],
  POLICY_DENIED: [403, 'The policy engine denied this action; `decision_id` finds the decision, with its reasons, in the decision log.'],
  SELF_APPROVAL_REFUSED: [403, 'An approval has to come from someone other than whoever asked for the action (dual control).'],
  APPROVAL_NOT_REQUESTED: [409, 'Nothing is waiting for this approval: ask for the action first (it answers 202, pending approval).'],
  APPROVAL_ALREADY_SATISFIED: [409, 'That request has already been approved; it needs no further approval.'],
  RATIONALE_INVALID: [400, 'An approval needs a rationale: a category from the taxonomy and a sentence.'],
  POLICY_CASES_INVALID: [400, 'The policy cases cannot be evaluated.'],
  ENTITY_INVALID: [400, 'The entity is not valid.'],
  ENTITY_NOT_FOUND: [404, 'There is no such entity.'],
  ENTITY_EXISTS: [409, 'An entity with that id already exists.'],
  ENTITY_VERSION_CONFLICT: [409, 'The entity has changed since the version you sent (If-Match or `version`); `current_version` is the latest.'],
  ENTITY_FIELD_IMMUTABLE: [400, 'An entity\'s id, type and tenant cannot be changed; create a new entity instead.'],
  EDGE_INVALID: [400, 'The edge is not valid.'],
  RECEIPT_NOT_FOUND: [404, 'There is no such receipt in this tenant\'s ledger.'],
  BUNDLE_NOT_FOUND: [404, 'There is no such evidence bundle or receipt.'],
  EVIDENCE_INVALID: [400, 'The evidence cannot be attached.'],
  LEDGER_RANGE_INVALID: [400, 'Those tree sizes are not in this tenant\'s ledger.'],
  RECEIPT_WRITE_FAILED: [503, 'The action was rolled back: its receipt could not be written to the ledger.'],
  NOT_FOUND: [404, 'There is no such endpoint.'],
  REQUEST_TIMEOUT: [408, 'The request took too long to arrive (headers or body); the connection is closed.'],
  TOO_MANY_CONNECTIONS: [429, 'This address holds as many open connections as the server allows; reuse or close one.'],
  WAREHOUSE_UNAVAILABLE: [503, 'The warehouse is not answering or refuses writes; try again shortly.'],
  INTERNAL: [500, 'Something failed inside the server; it has been logged.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;

  constructor(
    readonly code: ApiErrorCode,
    detail?: string,
    /** More fields for the response body (a decision id, the reasons). */
    readonly fields?: Record<string, unknown>,
  ) {
    const [status, sentence] = API_ERRORS[code];
    super(detail ? `${sentence} ${detail}` : sentence);
    this.statusCode = status;
  }
}

/** The catalogue as documentation: request errors plus per-event rejection codes. */
export function errorCatalogue(): { code: string; status: number | null; message: string }[] {
  return [
    ...Object.entries(API_ERRORS).map(([code, [status, message]]) => ({ code, status, message })),
    ...Object.entries(REJECTION_CODES).map(([code, message]) => ({ code, status: null, message })),
  ];
}

/** The one error body every route answers with, whatever the status. */
export const errorResponseSchema = {
  $id: 'Error',
  description: 'An error: a catalogue code for machines and a sentence for people, with fields some codes add.',
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: Object.keys(API_ERRORS) as ApiErrorCode[], description: 'A stable code from the error catalogue (`companyos errors`).' },
    message: { type: 'string', description: 'What went wrong, for people.' },
    decision_id: { type: 'string', description: 'On POLICY_DENIED: the decision in `GET /v1/policy/decisions`.' },
    reasons: { type: 'array', items: { type: 'string' }, description: 'On POLICY_DENIED: the policies that denied.' },
    current_version: { type: 'integer', description: 'On ENTITY_VERSION_CONFLICT: the entity\'s version now (send it as If-Match after reading it again).' },
  },
} as const;
