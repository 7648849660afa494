import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { QuotaKind, TenantQuotas } from '../../../platform/tenancy/index.ts';

const WHAT: Record<QuotaKind, string> = { requests: 'requests', 'ingest-events': 'events' };
/**
 * How long a refusal decided before the body is read waits before it answers. The body stays unread (TCP
 * holds the sender back), so a client that ignores Retry-After and floods gets a few answers a second per
 * connection instead of thousands, and the refusals cost the other tenants next to nothing.
 */
export const REFUSAL_HOLD_MS = 250;

/**
 * Per-tenant quotas on the API: every authenticated request takes one of its tenant's `requests`, and a
 * tenant whose `ingest-events` bucket is empty is refused before its batch is read. Register after the
 * hook that authenticates (it needs `request.principal`). Refusals are 429 TENANT_QUOTA_EXCEEDED with
 * `Retry-After`, answered after `holdMs` (REFUSAL_HOLD_MS).
 */
export function registerTenantQuotas(app: FastifyInstance, quotas: TenantQuotas, holdMs = REFUSAL_HOLD_MS): void {
  app.addHook('onRequest', async (request, reply) => {
    const tenant = request.principal?.tenant;
    if (!tenant) return;
    try {
      refuseUnless(reply, quotas, tenant, 'requests', quotas.take(tenant, 'requests'));
      if (request.routeOptions.config.eventBatch) refuseUnless(reply, quotas, tenant, 'ingest-events', quotas.peek(tenant, 'ingest-events'));
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      throw error;
    }
  });
}

/** Takes a batch's events from the caller's tenant's `ingest-events`, or refuses it (nothing of it stored). */
export function takeIngestQuota(request: FastifyRequest, reply: FastifyReply, quotas: TenantQuotas | undefined, events: number): void {
  const tenant = request.principal!.tenant;
  if (quotas) refuseUnless(reply, quotas, tenant, 'ingest-events', quotas.take(tenant, 'ingest-events', events));
}

function refuseUnless(reply: FastifyReply, quotas: TenantQuotas, tenant: string, kind: QuotaKind, answer: ReturnType<TenantQuotas['take']>): void {
  if (answer.allowed) return;
  reply.header('retry-after', String(answer.retryAfterSeconds));
  throw new DomainError(
    'TENANT_QUOTA_EXCEEDED',
    `${tenant} may send ${quotas.rate(tenant, kind)!.toLocaleString('en-US')} ${WHAT[kind]} a second; try again in ${answer.retryAfterSeconds} s.`,
    { retry_after_seconds: answer.retryAfterSeconds },
  );
}
