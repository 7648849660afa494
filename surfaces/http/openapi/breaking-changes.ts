import { apiCompare } from 'api-smart-diff';

/** A change to the contract marked as meant: the diff's path (joined with `/`) it covers, and why it is worth breaking clients. */
export interface IntendedBreakingChange {
  path: string;
  reason: string;
}

/** One breaking change api-smart-diff finds between two documents. */
export interface BreakingChange {
  path: string;
  action: string;
  description: string;
}

/** A position in the error `code` enum, in a response (`…/responses/4xx/…/properties/code/enum/59`) or in the Error schema. */
const ERROR_CODE_ENUM = /^(?:paths\/.*\/responses\/[45]\d\d\/content\/[^/]+\/[^/]+\/schema|components\/schemas\/Error)\/properties\/code\/enum\/\d+$/;

/**
 * The breaking changes from `released` to `current` (api-smart-diff's
 * classification) that no intended change covers: an intended change covers
 * every change at or under its path. The error catalogue grows (clients must
 * take a code they do not know as its status's generic error, surfaces/http/README.md),
 * so an error response's `code` enum that keeps every released code and adds
 * some is not breaking; one that loses a code is.
 */
export function unintendedBreakingChanges(released: object, current: object, intended: readonly IntendedBreakingChange[]): BreakingChange[] {
  const { diffs } = apiCompare(released, current);
  return diffs
    .filter((d) => d.type === 'breaking')
    .map((d) => ({ path: d.path.join('/'), action: d.action, description: d.description ?? '' }))
    .filter((change) => !onlyAddsErrorCodes(change.path, released, current))
    .filter((change) => !intended.some(({ path }) => change.path === path || change.path.startsWith(`${path}/`)));
}

/** Every error response is the one `Error` schema (a test holds each operation to it): its codes are the catalogue's. */
function onlyAddsErrorCodes(path: string, released: object, current: object): boolean {
  if (!ERROR_CODE_ENUM.test(path)) return false;
  const before = errorCodes(released);
  const after = errorCodes(current);
  return before !== undefined && after !== undefined && before.every((code) => after.includes(code));
}

function errorCodes(document: object): unknown[] | undefined {
  const codes = (document as { components?: { schemas?: { Error?: { properties?: { code?: { enum?: unknown } } } } } }).components?.schemas?.Error?.properties?.code?.enum;
  return Array.isArray(codes) ? codes : undefined;
}
