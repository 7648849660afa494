import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { PolicyAction, ResourceAttributes } from '../../../kernel/policies/index.ts';
import type { DomainError } from '../../../kernel/errors/index.ts';

/**
 * Decisions a route takes beyond the one its `config.gate` asks: per item of a
 * list or a graph walk (so a list shows exactly what a read by id would), and
 * per tenant an event batch writes into. Same engine, same principal, same
 * environment as the gate.
 */

function principalOf(request: FastifyRequest) {
  const p = request.principal!;
  return { id: `${p.tenant}/${p.subject}`, tenant: p.tenant, roles: p.roles, env: p.env, region: p.region };
}

/** The platform operator's tenant as the policy bundle names it (kernel/policies/data/tenants.json); '' when it names none. */
export function platformTenantOf(request: FastifyRequest): string {
  return request.server.policyGate.deps.engine.platformTenant ?? '';
}

/**
 * Whether the caller may `action` the resource. Not logged: the list or walk itself was decided
 * (and logged) by the gate; logging each of its thousand items would drown the log.
 */
export function allows(request: FastifyRequest, action: PolicyAction, resource: ResourceAttributes): boolean {
  const { engine, env } = request.server.policyGate.deps;
  return engine.authorize({ principal: principalOf(request), action, resource, context: { env } }).decision === 'allow';
}

/** The items the caller may read, each decided as a read of it by id would be. */
export function readable<T>(request: FastifyRequest, items: readonly T[], resourceOf: (item: T) => ResourceAttributes): T[] {
  return items.filter((item) => allows(request, 'read', resourceOf(item)));
}

/**
 * One page of what the caller may read from a keyset-paged source: pages are read until `limit` readable
 * items are found or the source ends, so hidden items neither shorten a page nor end the paging, and the
 * cursor is always the id of an item the caller sees (never a hidden one's).
 */
export async function readablePage<T>(
  request: FastifyRequest,
  page: (after: string | undefined, limit: number) => Promise<T[]>,
  idOf: (item: T) => string,
  resourceOf: (item: T) => ResourceAttributes,
  query: { after?: string; limit: number },
): Promise<{ items: T[]; next_after: string | null }> {
  const items: T[] = [];
  let after = query.after;
  for (;;) {
    const batch = await page(after, query.limit);
    for (const item of batch) {
      if (!allows(request, 'read', resourceOf(item))) continue;
      items.push(item);
      if (items.length === query.limit) return { items, next_after: idOf(item) };
    }
    if (batch.length < query.limit) return { items, next_after: null };
    after = idOf(batch.at(-1)!);
  }
}

/**
 * Decides and logs like the gate; a denial is recorded as a policy violation and thrown
 * (`refusal` may turn the gate's POLICY_DENIED into the route's own code, keeping decision_id and reasons).
 */
export async function authorizeOrRefuse(
  request: FastifyRequest,
  action: PolicyAction,
  resource: ResourceAttributes,
  refusal?: (denied: DomainError) => DomainError,
): Promise<void> {
  const gate = request.server.policyGate;
  const principal = request.principal!;
  const asked = { method: request.method, route: request.routeOptions.url ?? request.url, traceId: traceId(request) };
  const verdict = await gate.decide(principal, action, resource, {}, asked);
  if (verdict.decision.decision === 'allow') return;
  const denied = await gate.refuse(principal, verdict, action, resource, asked);
  throw refusal ? refusal(denied) : denied;
}

function traceId(request: FastifyRequest): string {
  const traceparent = request.headers.traceparent;
  const match = typeof traceparent === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent) : null;
  return match?.[1] ?? createHash('sha256').update(String(request.id)).digest('hex').slice(0, 32);
}
