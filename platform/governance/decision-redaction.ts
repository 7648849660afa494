import type { DecisionRecord } from './decision-log.ts';

export const REDACTED = '(redacted)';

/**
 * A decision as `tenant` may see it. Whole when both its principal and its resource are the tenant's. When
 * only one side is, the other tenant's side shows nothing beyond the decision and its reasons:
 * - the caller's principal acting on another tenant's resource: the resource (`input.resource`, the
 *   resource's attributes in `input.context`, `resource_tenant`) is masked;
 * - another tenant's principal acting on the caller's resource: who it was (`input.principal`, `tenant`,
 *   `trace_id`, approver, requester and the principal's attributes in `input.context`) is masked.
 * Masked fields hold "(redacted)" and are listed, as JSON pointers, in `masked` (OPA's field for it).
 */
export function redactDecision(record: DecisionRecord, tenant: string): DecisionRecord {
  const ownPrincipal = record.tenant === tenant;
  const ownResource = record.resource_tenant === tenant;
  if (ownPrincipal && ownResource) return record;
  const { context } = record.input;
  if (ownPrincipal) {
    return {
      ...record,
      input: { ...record.input, resource: REDACTED, context: { env: context.env, resource: REDACTED } },
      resource_tenant: REDACTED,
      masked: [...record.masked, '/input/resource', '/input/context/resource', '/resource_tenant'],
    };
  }
  const hidden = ['approver', 'requester', 'principal'].filter((key) => key in context);
  return {
    ...record,
    input: {
      ...record.input,
      principal: REDACTED,
      context: { ...context, ...Object.fromEntries(hidden.map((key) => [key, REDACTED])) },
    },
    tenant: REDACTED,
    trace_id: REDACTED,
    masked: [...record.masked, '/input/principal', '/tenant', '/trace_id', ...hidden.map((key) => `/input/context/${key}`)],
  };
}

/** A `principal` filter may name only the caller's own principals: another tenant's are never matched (their entries are masked). */
export function filtersOwnPrincipal(principal: string | undefined, tenant: string): boolean {
  return principal === undefined || principal.startsWith(`${tenant}/`);
}
