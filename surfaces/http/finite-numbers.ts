import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../kernel/errors/index.ts';
import './json-body.ts';

/**
 * Refuses `Infinity`, `1e309` and the like where a route takes a number. Ajv
 * coerces the text "Infinity" (or "1e400") into an infinite number and then
 * skips `minimum`/`maximum`, which it checks only on finite numbers; so a
 * schema alone lets `?limit=Infinity` through to the warehouse. Checked after
 * validation, on what the handler would see: query, path parameters and the
 * body's own fields.
 */
export function refuseNonFiniteNumbers(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    // Events are screened one by one by the ingest pipeline, which parks such an event.
    const body = request.routeOptions.config.eventBatch ? undefined : request.body;
    for (const [part, values] of [['query', request.query], ['path', request.params], ['body', body]] as const) {
      if (!isPlainObject(values)) continue;
      for (const [name, value] of Object.entries(values)) {
        if (typeof value === 'number' && !Number.isFinite(value)) {
          throw new DomainError('QUERY_INVALID', `${part === 'body' ? 'Field' : part === 'path' ? 'Path parameter' : 'Parameter'} "${name}" must be a finite number.`);
        }
      }
    }
  });
}

/** A parsed JSON object or query (Fastify's has a prototype of its own), not an array, a Buffer or an upload's stream. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return false;
  return typeof (value as { pipe?: unknown }).pipe !== 'function';
}
