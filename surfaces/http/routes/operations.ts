import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { PlatformMetrics } from '../../../platform/metrics/index.ts';
import { ReadinessProbe } from '../readiness.ts';

const healthSchema = {
  type: 'object',
  description: 'The process is up and serving.',
  required: ['status'],
  properties: { status: { type: 'string', const: 'ok' } },
} as const;

const readySchema = {
  type: 'object',
  description: 'Ready: the warehouse answered a read and accepted a write.',
  required: ['status', 'warehouse', 'schema_version'],
  properties: {
    status: { type: 'string', const: 'ready' },
    warehouse: { type: 'string', enum: ['duckdb', 'clickhouse'], description: 'The warehouse engine.' },
    schema_version: { type: 'integer', description: 'The latest migration applied to the warehouse.' },
  },
} as const;

/** Liveness, readiness, Prometheus metrics and the OpenAPI document: no token needed. */
export function operationsRoutes(app: FastifyInstance, deps: { warehouse: Warehouse; metrics: PlatformMetrics }): void {
  const open = { config: { public: true } };

  app.get(
    '/healthz',
    {
      ...open,
      schema: {
        operationId: 'getHealth',
        summary: 'The process is alive',
        description: 'Liveness: answers as long as the process serves requests, whatever the warehouse does. Public: no token.',
        tags: ['operations'],
        response: { 200: healthSchema },
      },
    },
    async () => ({ status: 'ok' }),
  );

  const readiness = new ReadinessProbe(deps.warehouse);
  app.get(
    '/readyz',
    {
      ...open,
      schema: {
        operationId: 'getReadiness',
        summary: 'The warehouse answers, is migrated and accepts writes',
        description:
          'Readiness: the warehouse answers a read and accepts a write within 5 seconds (one check at a time, its outcome kept for a second). ' +
          'Not ready answers 503 WAREHOUSE_UNAVAILABLE. Public: no token.',
        tags: ['operations'],
        response: {
          200: readySchema,
          503: { description: 'Not ready: the warehouse does not answer, or refuses writes (WAREHOUSE_UNAVAILABLE).', $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      try {
        return { status: 'ready', ...(await readiness.check()) };
      } catch (error) {
        request.log.warn({ err: error }, 'not ready: the warehouse does not answer or refuses writes');
        throw new DomainError('WAREHOUSE_UNAVAILABLE');
      }
    },
  );

  app.get(
    '/metrics',
    {
      ...open,
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        description: 'Request counts and latencies, event outcomes, Kafka batches and process metrics, in the Prometheus text exposition format. Public: no token.',
        tags: ['operations'],
        response: {
          200: {
            description: 'The metrics, in Prometheus text format 0.0.4.',
            content: { [deps.metrics.registry.contentType]: { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  app.get('/openapi.json', { ...open, schema: { hide: true } }, async () => app.swagger());
}
