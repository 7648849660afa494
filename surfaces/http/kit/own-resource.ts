import type { FastifyRequest } from 'fastify';
import type { ResourceAttributes } from '../../../kernel/policies/index.ts';

/** The gate's resource for a route acting on something of the caller's own tenant as a whole (its bills, its quarantine, its report pages). */
export function ownResource(id: string, kind: string, dataClass: 'public' | 'internal' | 'confidential' = 'internal') {
  return (request: FastifyRequest): ResourceAttributes => ({ id, tenant: request.principal!.tenant, kind, data_class: dataClass, region: request.principal!.region });
}
