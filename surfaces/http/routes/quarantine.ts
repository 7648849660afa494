import type { FastifyInstance } from 'fastify';
import type { TenantScope } from '../../../platform/tenancy/index.ts';
import { listQuarantine } from '../../../platform/ingest/index.ts';
import { pageQuerySchema, quarantinePageSchema } from '../kit/index.ts';
import { ownResource } from '../kit/index.ts';

export function quarantineRoutes(app: FastifyInstance, deps: { scope: (tenant: string) => TenantScope }): void {
  app.get<{ Querystring: { reason?: string; limit: number; cursor?: string } }>(
    '/v1/quarantine',
    {
      schema: {
        operationId: 'listQuarantine',
        summary: "The caller's tenant's parked events, newest first, with reasons",
        description:
          'Events refused at ingest (HTTP, files, Kafka) and parked with their reason and the payload as received, newest first, a page at a time. ' +
          'Any role of the tenant may read them (decided, not receipted).',
        tags: ['events'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { reason: { type: 'string', maxLength: 64, description: 'Only this reason code.' }, ...pageQuerySchema },
        },
        response: { 200: quarantinePageSchema },
      },
      config: { gate: { action: 'read', resource: ownResource('quarantine', 'Quarantine') } },
    },
    (request) => listQuarantine(deps.scope(request.principal!.tenant), request.query),
  );
}
