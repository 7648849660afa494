import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../warehouse/index.ts';
import { ApiError } from '../errors.ts';
import type { PlatformMetrics } from '../metrics.ts';
import { ReadinessProbe } from '../readiness.ts';

/** Liveness, readiness, Prometheus metrics and the OpenAPI document: no token needed. */
export function operationsRoutes(app: FastifyInstance, deps: { warehouse: Warehouse; metrics: PlatformMetrics }): void {
  const open = { config: { public: true } };

  app.get('/healthz', { ...open, schema: { summary: 'The process is alive', tags: ['operations'] } }, async () => ({ status: 'ok' }));

  const readiness = new ReadinessProbe(deps.warehouse);
  app.get('/readyz', { ...open, schema: { summary: 'The warehouse answers, is migrated and accepts writes', tags: ['operations'] } }, async (request) => {
    try {
      return { status: 'ready', ...(await readiness.check()) };
    } catch (error) {
      request.log.warn({ err: error }, 'not ready: the warehouse does not answer or refuses writes');
      throw new ApiError('WAREHOUSE_UNAVAILABLE');
    }
  });

  app.get('/metrics', { ...open, schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  app.get('/openapi.json', { ...open, schema: { hide: true } }, async () => app.swagger());
}
