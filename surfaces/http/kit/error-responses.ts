import type { ErrorCode } from '../../../kernel/errors/index.ts';
import { API_ERRORS } from './errors.ts';

/** Error response description: what the status means here and the catalogue codes that answer with it. */
function describeStatus(status: number): string {
  const codes = (Object.keys(API_ERRORS) as ErrorCode[]).filter((code) => API_ERRORS[code][0] === status);
  return `An error from the catalogue (\`companyos errors\`): ${codes.join(', ')}.`;
}

/** The documented response for an error status: the one shared Error schema. */
export const errorResponse = (status: number) => ({ description: describeStatus(status), $ref: 'Error#' });

/** The error statuses a route answers beyond those every route does (documented for it: `404`, `409`, …). */
export function errorResponses(...statuses: number[]): Record<number, ReturnType<typeof errorResponse>> {
  return Object.fromEntries(statuses.map((status) => [status, errorResponse(status)]));
}
