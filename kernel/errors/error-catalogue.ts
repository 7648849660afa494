import { MAX_JSON_DEPTH } from '../schemas/index.ts';

/**
 * What kind of failure an error is. Services below the surfaces say only this;
 * each surface decides what it means there (surfaces/http/kit/errors.ts: a status code).
 */
export type ErrorKind =
  | 'invalid-input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'timeout'
  | 'too-large'
  | 'too-long'
  | 'precondition-failed'
  | 'unsupported-media-type'
  | 'rate-limited'
  | 'unavailable'
  | 'internal';

/**
 * Every error the platform answers with: a stable code for machines, its kind,
 * and a sentence for people (`companyos errors`).
 */
export const ERROR_CATALOGUE = {
  AUTH_MISSING_TOKEN: ['unauthenticated', 'This endpoint needs a bearer token: send "Authorization: Bearer <token>" (mint one with `companyos token`).'],
  AUTH_INVALID_TOKEN: ['unauthenticated', 'The bearer token is not valid: it is malformed, or was signed with another secret.'],
  AUTH_TOKEN_EXPIRED: ['unauthenticated', 'The bearer token has expired; get a new one (`companyos token`, or from the identity provider that issued it).'],
  AUTH_TOKEN_NO_EXPIRY: ['unauthenticated', 'The bearer token has no expiry (`exp`); this server accepts only tokens that expire.'],
  AUTH_TOKEN_TOO_LONG_LIVED: ['unauthenticated', 'The bearer token lives longer than this server allows (COMPANYOS_MAX_TOKEN_TTL); mint a shorter-lived one.'],
  AUTH_TOKEN_NOT_YET_VALID: ['unauthenticated', 'The bearer token was issued in the future (`iat`); check the issuing machine\'s clock.'],
  AUTH_TOKEN_NO_ROLES: ['unauthenticated', 'The bearer token names no role this server knows; mint one with at least one `--role`.'],
  AUTH_TOKEN_WRONG_AUDIENCE: ['unauthenticated', 'The bearer token was issued for another audience (`aud`) than this API\'s identifier at its identity provider.'],
  AUTH_DOMAIN_NOT_ALLOWED: ['unauthenticated', 'The bearer token\'s person has no verified email address in a domain this tenant\'s identity provider allows.'],
  AUTH_PROVIDER_UNAVAILABLE: ['unavailable', 'The identity provider that issued the bearer token could not be reached to check its signature; try again shortly.'],
  LOGIN_PROVIDER_UNKNOWN: ['not-found', 'No identity provider of that name lets people sign in here.'],
  LOGIN_STATE_UNKNOWN: ['invalid-input', 'This sign-in link is unknown, already used or older than ten minutes; sign in again.'],
  LOGIN_REFUSED: ['unauthenticated', 'The identity provider did not complete the sign-in.'],
  LOGIN_CROSS_SITE: ['forbidden', 'Signing out and refreshing a session are accepted from this server\'s own pages only.'],
  SCIM_NOT_FOUND: ['not-found', 'There is no such resource in this tenant\'s SCIM directory.'],
  SCIM_USER_EXISTS: ['conflict', 'A User with that userName already exists in this tenant\'s directory.'],
  SCIM_VERSION_MISMATCH: ['precondition-failed', 'The resource changed since the version If-Match names; read it again and retry.'],
  SCIM_INVALID_FILTER: ['invalid-input', 'The SCIM filter is not valid.'],
  SCIM_FILTER_UNSUPPORTED: ['invalid-input', 'This SCIM filter uses an operator this server does not evaluate.'],
  SCIM_INVALID_PATH: ['invalid-input', 'The SCIM PATCH path is not valid.'],
  SCIM_INVALID_PATCH: ['invalid-input', 'The SCIM PATCH request is not valid.'],
  SCIM_INVALID_VALUE: ['invalid-input', 'A SCIM attribute has a missing or wrong value.'],
  SCIM_NO_TARGET: ['invalid-input', 'The SCIM PATCH path selects nothing to change.'],
  SCIM_MUTABILITY: ['invalid-input', 'The SCIM request changes an attribute that cannot be changed.'],
  AUTH_ACCOUNT_DEPROVISIONED: ['unauthenticated', 'The person this token was issued to has been deactivated or removed in the tenant\'s directory.'],
  AUTH_SESSION_ENDED: ['unauthenticated', 'You are not signed in, or your session ended (signed out, idle too long, or past its limit); sign in again.'],
  AUTH_TOKEN_WRONG_ENV: ['unauthenticated', 'The bearer token was minted for another environment (`env`) than this server\'s (COMPANYOS_ENV).'],
  TENANT_FORBIDDEN: ['forbidden', 'The token belongs to another tenant; writing events for a tenant needs that tenant\'s token or a connector role.'],
  ROLE_FORBIDDEN: ['forbidden', 'The token\'s roles do not allow this action.'],
  EVENT_TENANT_NOT_GRANTED: ['forbidden', 'An event claims a tenant the caller may not write to: only the platform operator\'s connectors, and connectors of a tenant granted it (kernel/policies/data/tenants.json), write events for another tenant.'],
  BODY_NOT_JSON: ['invalid-input', 'The request body is not valid JSON.'],
  BODY_NOT_EVENTS: ['invalid-input', 'The body must be one event (a JSON object) or a batch (a JSON array of events).'],
  BODY_TOO_LARGE: ['too-large', 'The request body is larger than the server accepts.'],
  BODY_TOO_DEEP: ['invalid-input', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays.`],
  BATCH_TOO_LARGE: ['too-large', 'The batch has more events than the server accepts in one request; split it.'],
  UNSUPPORTED_MEDIA_TYPE: ['unsupported-media-type', 'Send events as application/cloudevents+json, application/cloudevents-batch+json, application/json or application/x-ndjson, or one event in CloudEvents binary mode (ce- headers).'],
  CLOUDEVENTS_MODE_UNSUPPORTED: ['unsupported-media-type', 'That CloudEvents content mode or event format is not accepted: send binary mode (ce- headers, one event), structured application/cloudevents+json or batched application/cloudevents-batch+json.'],
  CLOUDEVENTS_HEADER_INVALID: ['invalid-input', 'A ce- header value is not valid percent-encoded UTF-8 (CloudEvents HTTP binding, 3.1.3.2).'],
  BAD_REQUEST: ['invalid-input', 'The request is malformed.'],
  QUERY_INVALID: ['invalid-input', 'A query parameter is not valid.'],
  VALUE_OUT_OF_RANGE: ['invalid-input', 'A value in the request is outside what the warehouse can store or compare (a number too large, text it cannot read).'],
  URL_TOO_LONG: ['too-long', 'A path segment of the URL is longer than the server accepts.'],
  CURSOR_INVALID: ['invalid-input', 'The cursor is not one this server issued; start again without it.'],
  METER_UNKNOWN: ['not-found', 'There is no such meter.'],
  METER_NOT_BUILT: ['conflict', 'That meter has not been built yet.'],
  LINEAGE_NODE_UNKNOWN: ['not-found', 'There is no such model, source table or meter in the lineage graph.'],
  LINEAGE_NOT_BUILT: ['conflict', 'There is no lineage yet: run `companyos build` first.'],
  FINOPS_NOT_BUILT: ['conflict', 'Cost attribution has not been built yet: import a bill (`companyos bills import`) and run `companyos build`.'],
  BILL_FILE_INVALID: ['invalid-input', 'The bill file cannot be imported.'],
  SCENARIO_INVALID: ['invalid-input', 'The pricing what-if cannot be simulated.'],
  PRICING_INVALID: ['conflict', 'The price table (models/finops/pricing.yaml) is missing or has problems; every problem is listed.'],
  NOTHING_TO_INVOICE: ['conflict', 'There is nothing to invoice for that month: no SKU charges were attributed to it. Nothing was done.'],
  INVOICE_NOT_FOUND: ['not-found', 'There is no such invoice.'],
  SELECTOR_UNKNOWN: ['invalid-input', 'A model selector (`select`, `exclude`) names no model of the project.'],
  MODELS_INVALID: ['invalid-input', 'The SQL models do not compile; every problem is listed.'],
  BUILD_IN_PROGRESS: ['conflict', 'A build is already running; try again when it is done.'],
  POLICY_DENIED: ['forbidden', 'The policy engine denied this action; `decision_id` finds the decision, with its reasons, in the decision log.'],
  SELF_APPROVAL_REFUSED: ['forbidden', 'An approval has to come from someone other than whoever asked for the action (dual control).'],
  APPROVAL_NOT_REQUESTED: ['conflict', 'Nothing is waiting for this approval: ask for the action first (it answers 202, pending approval).'],
  APPROVAL_ALREADY_SATISFIED: ['conflict', 'That request has already been approved; it needs no further approval.'],
  RATIONALE_INVALID: ['invalid-input', 'An approval needs a rationale: a category from the taxonomy and a sentence.'],
  POLICY_CASES_INVALID: ['invalid-input', 'The policy cases cannot be evaluated.'],
  ENTITY_INVALID: ['invalid-input', 'The entity is not valid.'],
  ENTITY_NOT_FOUND: ['not-found', 'There is no such entity.'],
  ENTITY_EXISTS: ['conflict', 'An entity with that id already exists.'],
  ENTITY_VERSION_CONFLICT: ['conflict', 'The entity has changed since the version you sent (If-Match or `version`); `current_version` is the latest.'],
  STATE_CONFLICT: ['conflict', 'Someone else changed the same thing at the same moment; nothing was written. Read it again and retry.'],
  STATE_CHECK_FAILED: ['forbidden', 'The write breaks a rule the state store enforces for every writer (such as separation of duties); nothing was written.'],
  BACKUP_NOT_FOUND: ['not-found', 'The backup target holds no complete backup by that id (a backup without its signed manifest is incomplete and never restored from).'],
  BACKUP_MANIFEST_INVALID: ['invalid-input', 'The backup\'s manifest is not a signed manifest this platform can verify with the keys given; nothing was restored.'],
  BACKUP_OBJECT_MISSING: ['invalid-input', 'An object the backup\'s manifest lists is missing from the target; nothing was restored.'],
  BACKUP_OBJECT_CORRUPT: ['invalid-input', 'An object of the backup differs from its manifest (size or SHA-256); nothing was restored.'],
  BACKUP_VALIDATION_FAILED: ['internal', 'The restored database does not match the backup\'s manifest (row counts or a ledger root); it was discarded.'],
  RESTORE_TARGET_NOT_EMPTY: ['conflict', 'A restore writes into an empty data folder (and, on ClickHouse, a database without tables) only.'],
  RESTORE_ENGINE_MISMATCH: ['conflict', 'The backup is of another warehouse engine than the one the restore writes to (COMPANYOS_WAREHOUSE).'],
  BACKUP_SOURCE_UNREADABLE: ['unavailable', 'ClickHouse\'s data folder cannot be read or written where the platform runs: backups and restores of ClickHouse run on its host (FREEZE and ATTACH work on the server\'s files).'],
  RESTORE_TIME_UNAVAILABLE: ['invalid-input', 'No backup on the target holds the database as of that time: the time is before the first base snapshot, or not a time.'],
  WORKFLOW_TYPE_UNKNOWN: ['not-found', 'There is no such workflow type; `GET /v1/workflows/types` lists them.'],
  WORKFLOW_NOT_FOUND: ['not-found', 'There is no such workflow run in this tenant.'],
  WORKFLOW_PARAMS_INVALID: ['invalid-input', 'The workflow\'s parameters are not valid for its type.'],
  ERASURE_TENANT_FORBIDDEN: ['forbidden', 'An erasure erases a subject of the caller\'s own tenant; request it with a token of the tenant whose subject it is.'],
  WORKFLOW_STATE_INVALID: ['conflict', 'The workflow run is not in a state that allows this; `status` says where it is.'],
  WORKFLOW_SEPARATION_OF_DUTIES: ['forbidden', 'This workflow type separates duties: whoever requested a run may not approve or execute it, and an approver may not execute it.'],
  WORKFLOW_APPROVER_NOT_ELIGIBLE: ['forbidden', 'The approver holds none of the roles the run still needs.'],
  WORKFLOW_ALREADY_DECIDED: ['conflict', 'This approver has already decided on this run; a decision is given once.'],
  WORKFLOW_PLATFORM_ONLY: ['forbidden', 'This workflow type changes the platform itself (its policies, its signing keys): only the platform operator\'s tenant may request it.'],
  WORKFLOW_EXPORT_UNAVAILABLE: ['conflict', 'This run has no export to download: it is not a tenant-export run, or it has not succeeded.'],
  WORKFLOW_EXPORT_NOT_YOURS: ['forbidden', 'Only whoever requested a tenant export downloads its file.'],
  WORKFLOW_REQUIRED: ['forbidden', 'This action is governed: it runs only as a workflow run, requested, approved and executed through `/v1/workflows` or `companyos workflow`.'],
  WORKFLOW_APPROVAL_EXPIRED: ['conflict', 'The run\'s approval window has passed; request a new run.'],
  ENTITY_FIELD_IMMUTABLE: ['invalid-input', 'An entity\'s id, type and tenant cannot be changed; create a new entity instead.'],
  EDGE_INVALID: ['invalid-input', 'The edge is not valid.'],
  RECEIPT_NOT_FOUND: ['not-found', 'There is no such receipt in this tenant\'s ledger.'],
  BUNDLE_NOT_FOUND: ['not-found', 'There is no such evidence bundle or receipt.'],
  EVIDENCE_INVALID: ['invalid-input', 'The evidence cannot be attached.'],
  LEDGER_RANGE_INVALID: ['invalid-input', 'Those tree sizes are not in this tenant\'s ledger.'],
  RECEIPT_WRITE_FAILED: ['unavailable', 'The action was rolled back: its receipt could not be written to the ledger.'],
  LEAD_INVALID: ['invalid-input', 'The lead is not valid: see the message for the field.'],
  LEAD_NOT_FOUND: ['not-found', 'There is no such lead in this tenant.'],
  LEAD_MERGE_INVALID: ['invalid-input', 'Those leads cannot be merged: a lead merges into another live lead of the same tenant.'],
  LEAD_ALREADY_MERGED: ['conflict', 'The lead was merged already; it merges once.'],
  ROUTING_POLICY_INVALID: ['invalid-input', 'The routing policy is not valid: see the message for the part at fault.'],
  ROUTING_POLICY_NONE: ['not-found', 'The tenant has published no routing policy yet: publish one through the revops-routing-policy workflow.'],
  QUOTE_INVALID: ['invalid-input', 'The quote is not valid: see the message for the field.'],
  QUOTE_NOT_FOUND: ['not-found', 'There is no such quote in this tenant.'],
  QUOTE_EXISTS: ['conflict', 'A quote with that id exists already; revise it instead (POST /v1/revops/quotes/{id}/revisions).'],
  QUOTE_CLOSED: ['conflict', 'The quote is won or lost already; it is not revised or decided again.'],
  QUOTE_NOT_APPROVED: ['conflict', 'The quote\'s current terms are not approved: a quote is won on approved terms only.'],
  QUOTE_RATIONALE_REQUIRED: ['invalid-input', 'A discount above the automatic band needs a rationale: a category from the taxonomy and a sentence.'],
  NOT_FOUND: ['not-found', 'There is no such endpoint.'],
  REQUEST_TIMEOUT: ['timeout', 'The request took too long to arrive (headers or body); the connection is closed.'],
  TENANT_QUOTA_EXCEEDED: ['rate-limited', 'The tenant has used its quota (requests or ingested events a second) for now; retry after the seconds Retry-After names.'],
  TOO_MANY_CONNECTIONS: ['rate-limited', 'This address holds as many open connections as the server allows; reuse or close one.'],
  WAREHOUSE_UNAVAILABLE: ['unavailable', 'The warehouse is not answering or refuses writes; try again shortly.'],
  INTERNAL: ['internal', 'Something failed inside the server; it has been logged.'],
} as const satisfies Record<string, readonly [ErrorKind, string]>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
