// The request and route-config fields the kit's hooks add (principal, public, browser).
import './fastify-types.ts';
export { bodyErrorsAs } from './body-errors.ts';
export { decimal, eventPageSchema, eventStatsSchema, ingestResultSchema, jsonOrCsv, pageQuerySchema, percentOrNull, period, quarantinePageSchema, receiptHeader, receiptIdHeader, receiptIdSchema, timestamp } from './route-schemas.ts';
export { errorResponse, errorResponses } from './error-responses.ts';
export { allows, authorizeOrRefuse, platformTenantOf, readablePage } from './authorize.ts';
export { answerForFailure, pendingApprovalSchema, registerPolicyGate, summarizeCoverage, type CoverageSummary, type RouteEntry } from './gate.ts';
export { ownResource } from './own-resource.ts';
export { replyTable, wantsCsv } from './csv-reply.ts';
export { type GatedRoute } from './route-policy.ts';
export { API_ERRORS, errorCatalogue, errorResponseSchema, httpStatusOf } from './errors.ts';
export { DEFAULT_MAX_BATCH_EVENTS, DEFAULT_MAX_BILL_BYTES, DEFAULT_MAX_BODY_BYTES } from './limits.ts';
export { capConnectionsPerIp, clientErrorHandler, DEFAULT_CONNECTION_LIMITS, timeoutOptions, type ConnectionLimits } from './connection-limits.ts';
export { answerExpectContinue, continueUpload } from './expect-continue.ts';
export { registerTenantQuotas, takeIngestQuota } from './tenant-quotas.ts';
export { buildSharedSerializer, sharedRequestValidators } from './shared-compilers.ts';
