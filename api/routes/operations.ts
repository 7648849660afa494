import type { FastifyInstance } from 'fastify';
import type { Warehouse } from '../../warehouse/index.ts';
import { ApiError } from '../errors.ts';
import type { PlatformMetrics } from '../metrics.ts';

/** Liveness, readiness, Prometheus metrics and the OpenAPI document: no token needed. */
export function operationsRoutes(app: FastifyInstance, deps: { warehouse: Warehouse; metrics: PlatformMetrics }): void {
  const open = { config: { public: true } };

  app.get('/healthz', { ...open, schema: { summary: 'The process is alive', tags: ['operations'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { ...open, schema: { summary: 'The warehouse answers and is migrated', tags: ['operations'] } }, async (request) => {
    try {
      const [row] = await deps.warehouse.query<{ version: number }>('SELECT max(version) AS version FROM schema_migrations');
      return { status: 'ready', warehouse: deps.warehouse.engine, schema_version: row?.version ?? 0 };
    } catch (error) {
      request.log.warn({ err: error }, 'not ready: the warehouse does not answer');
      throw new ApiError('WAREHOUSE_UNAVAILABLE');
    }
  });

  app.get('/metrics', { ...open, schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  app.get('/openapi.json', { ...open, schema: { hide: true } }, async () => app.swagger());
}
