import type { FastifyInstance } from 'fastify';
import { AGGREGATIONS } from '../index.ts';
import { TIME_UNITS, type TimeUnit } from '../../../kernel/warehouse/index.ts';
import type { TenantScope } from '../../../platform/tenancy/index.ts';
import { errorResponses } from '../../../surfaces/http/kit/index.ts';
import { readUsage } from '../index.ts';
import { timestamp } from '../../../surfaces/http/kit/index.ts';

const usageReportSchema = {
  type: 'object',
  description: "The tenant's usage of the meter, one row per window and combination of the `group_by` dimensions.",
  required: ['tenant', 'meter', 'aggregation', 'window', 'group_by', 'rows'],
  properties: {
    tenant: { type: 'string' },
    meter: { type: 'string' },
    aggregation: { type: 'string', enum: [...AGGREGATIONS], description: "The meter's aggregation (meters.yaml)." },
    window: { type: 'string', enum: [...TIME_UNITS] },
    group_by: { type: 'array', items: { type: 'string' }, description: 'The dimensions the rows are grouped by, in the order asked.' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        description: 'A window: its start, the value of each `group_by` dimension (a member named after the dimension), and the metered value.',
        required: ['window_start', 'value'],
        properties: {
          window_start: timestamp,
          value: {
            type: ['integer', 'string'],
            description: 'COUNT and UNIQUE_COUNT meters: an integer; SUM, MAX and LATEST meters: a decimal string (exact, as money travels).',
          },
        },
        additionalProperties: { type: 'string', description: 'The value of a `group_by` dimension, named after it.' },
      },
    },
  },
} as const;

export function usageRoutes(app: FastifyInstance, deps: { scope: (tenant: string) => TenantScope; modelsDir: string }): void {
  app.get<{ Params: { tenant: string }; Querystring: { meter: string; from?: string; to?: string; window?: TimeUnit; group_by?: string } }>(
    '/v1/tenants/:tenant/usage',
    {
      schema: {
        operationId: 'getTenantUsage',
        summary: "A tenant's usage of one meter, by window and dimensions",
        description:
          'Reads the meter built by `companyos build`, per hour, day or month. `group_by` is a comma-separated subset of the meter\'s dimensions. ' +
          'Any role of the named tenant may read it (decided, not receipted); another tenant\'s usage is refused.',
        tags: ['usage'],
        params: { type: 'object', properties: { tenant: { type: 'string', maxLength: 128, description: 'The tenant whose usage to read.' } }, required: ['tenant'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['meter'],
          properties: {
            meter: { type: 'string', maxLength: 256, description: 'A meter of meters.yaml, e.g. policy.decisions_total.' },
            from: { type: 'string', format: 'date-time', description: 'Windows starting at or after this time.' },
            to: { type: 'string', format: 'date-time', description: 'Windows starting before this time.' },
            window: { type: 'string', enum: [...TIME_UNITS], description: "Roll up into windows of this size (default: the meter's own; never finer)." },
            group_by: { type: 'string', maxLength: 512, description: "Comma-separated dimensions of the meter to group by (default: none)." },
          },
        },
        response: { 200: usageReportSchema, ...errorResponses(404, 409) },
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
      const { meter, from, to, window, group_by } = request.query;
      return readUsage(deps.scope(tenant), deps.modelsDir, {
        meter,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
        window,
        groupBy: group_by ? group_by.split(',').map((d) => d.trim()).filter(Boolean) : [],
      });
    },
  );
}
