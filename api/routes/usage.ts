import type { FastifyInstance } from 'fastify';
import { TIME_UNITS, type TimeUnit, type Warehouse } from '../../warehouse/index.ts';
import { readUsage } from '../queries/usage.ts';
import { errorReplies } from '../route-schemas.ts';

export function usageRoutes(app: FastifyInstance, deps: { warehouse: Warehouse; modelsDir: string }): void {
  app.get<{ Params: { tenant: string }; Querystring: { meter: string; from?: string; to?: string; window?: TimeUnit; groupBy?: string } }>(
    '/v1/tenants/:tenant/usage',
    {
      schema: {
        summary: "A tenant's usage of one meter, by window and dimensions",
        description: 'Reads the meter built by `companyos build`. `groupBy` is a comma-separated subset of the meter\'s dimensions.',
        tags: ['usage'],
        params: { type: 'object', properties: { tenant: { type: 'string', maxLength: 128 } }, required: ['tenant'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['meter'],
          properties: {
            meter: { type: 'string', maxLength: 256 },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            window: { type: 'string', enum: [...TIME_UNITS] },
            groupBy: { type: 'string', maxLength: 512 },
          },
        },
        response: { ...errorReplies, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
      // A read of the named tenant's usage: another tenant's is refused by tenant-isolation.
      config: {
        gate: {
          action: 'read',
          resource: (request) => {
            const { tenant } = request.params as { tenant: string };
            return { id: `usage/${tenant}`, tenant, kind: 'Usage', data_class: 'internal', region: request.principal!.region };
          },
        },
      },
    },
    async (request) => {
      const { tenant } = request.params;
      const { meter, from, to, window, groupBy } = request.query;
      return readUsage(deps.warehouse, deps.modelsDir, tenant, {
        meter,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
        window,
        groupBy: groupBy ? groupBy.split(',').map((d) => d.trim()).filter(Boolean) : [],
      });
    },
  );
}
