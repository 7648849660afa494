export { ERROR_CATALOGUE, type ErrorCode, type ErrorKind } from './error-catalogue.ts';
export { DomainError } from './domain-error.ts';
