import { type DomainError, ERROR_CATALOGUE, type ErrorCode, type ErrorKind } from '../../../kernel/errors/index.ts';
import { REJECTION_CODES } from '../../../platform/ingest/index.ts';

/** The one place a kind of domain error becomes an HTTP status. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  'invalid-input': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  timeout: 408,
  conflict: 409,
  'too-large': 413,
  'too-long': 414,
  'precondition-failed': 412,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  internal: 500,
  unavailable: 503,
};

/** The catalogue in HTTP terms: code → [status, sentence]. */
export const API_ERRORS = Object.fromEntries(
  Object.entries(ERROR_CATALOGUE).map(([code, [kind, sentence]]) => [code, [STATUS_OF_KIND[kind], sentence]]),
) as unknown as { [C in ErrorCode]: readonly [number, string] };

/** The status a domain error answers with. */
export function httpStatusOf(error: DomainError): number {
  return STATUS_OF_KIND[error.kind];
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
    code: { type: 'string', enum: Object.keys(API_ERRORS) as ErrorCode[], description: 'A stable code from the error catalogue (`companyos errors`).' },
    message: { type: 'string', description: 'What went wrong, for people.' },
    decision_id: { type: 'string', description: 'On POLICY_DENIED: the decision in `GET /v1/policy/decisions`.' },
    reasons: { type: 'array', items: { type: 'string' }, description: 'On POLICY_DENIED: the policies that denied.' },
    current_version: { type: 'integer', description: 'On ENTITY_VERSION_CONFLICT: the entity\'s version now (send it as If-Match after reading it again).' },
    retry_after_seconds: { type: 'integer', description: 'On TENANT_QUOTA_EXCEEDED: the seconds until the tenant may send again (also the Retry-After header).' },
  },
} as const;
