import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../warehouse/index.ts';
import { listQuarantine } from '../queries/quarantine.ts';
import { errorReplies, pageQuerySchema, quarantinePageSchema } from '../route-schemas.ts';
import { ownResource } from '../policy/own-resource.ts';

export function quarantineRoutes(app: FastifyInstance, deps: { warehouse: Warehouse }): void {
  app.get<{ Querystring: { reason?: string; limit: number; cursor?: string } }>(
    '/v1/quarantine',
    {
      schema: {
        summary: "The caller's tenant's parked events, newest first, with reasons",
        tags: ['events'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { reason: { type: 'string', maxLength: 64, description: 'Only this reason code.' }, ...pageQuerySchema },
        },
        response: { 200: quarantinePageSchema, ...errorReplies },
      },
      config: { gate: { action: 'read', resource: ownResource('quarantine', 'Quarantine') } },
    },
    (request) => listQuarantine(deps.warehouse, request.principal!.tenant, request.query),
  );
}
