import type { FastifyError } from 'fastify';
import { isValueRefusal } from '../../platform/ingest/index.ts';
import { WarehouseError } from '../../kernel/warehouse/index.ts';
import { DomainError } from '../../kernel/errors/index.ts';
import { redactInternals } from './redact-internals.ts';

/** Fastify's own errors (body parsing, validation) mapped onto the catalogue. */
export function toDomainError(error: FastifyError): DomainError {
  if (error instanceof DomainError) return error;
  if (error.validation) return new DomainError(error.validationContext === 'body' ? 'BAD_REQUEST' : 'QUERY_INVALID', error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('BODY_TOO_LARGE');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new DomainError('URL_TOO_LONG');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new DomainError('BODY_NOT_JSON', error.message);
  }
  if (error instanceof SyntaxError) return new DomainError('BODY_NOT_JSON', error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return new DomainError('BAD_REQUEST', error.message);
  // The engine refused a value the request carried (a number past BIGINT, text it cannot convert): the request's fault, not an outage.
  if (error instanceof WarehouseError && isValueRefusal(error)) return new DomainError('VALUE_OUT_OF_RANGE');
  if (error instanceof WarehouseError) return new DomainError('WAREHOUSE_UNAVAILABLE');
  return new DomainError('INTERNAL');
}

/**
 * The response body for an error: its message and fields cut of server paths,
 * the SQL an engine ran and stack frames. An engine's or a file system's own
 * words never reach a 5xx: `toDomainError` answers those with the bare catalogue
 * sentence, and the detail goes to the log.
 */
export function errorBody(error: DomainError): Record<string, unknown> {
  const fields = error.fields ? (JSON.parse(redactInternals(JSON.stringify(error.fields))) as Record<string, unknown>) : {};
  return { ...fields, code: error.code, message: redactInternals(error.message) };
}
