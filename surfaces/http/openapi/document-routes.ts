import type { FastifyInstance, RouteOptions } from 'fastify';
import { errorResponse } from '../kit/index.ts';

/** Statuses every /v1 route can answer whatever it does: a malformed request, no token, a denial, the tenant over its quota, the warehouse away. */
const EVERY_V1_ROUTE = [400, 401, 403, 429, 503] as const;
/** Statuses a route that reads a body can answer besides: too large, a content type it does not take. */
const WITH_BODY = [413, 415] as const;
/** A path segment past the router's limit. */
const WITH_PARAMS = [414] as const;

type RouteSchema = NonNullable<RouteOptions['schema']> & {
  hide?: boolean;
  tags?: string[];
  response?: Record<string, unknown>;
};

/**
 * Completes every route's OpenAPI entry in one place: the error statuses any
 * route of its kind can answer (with the shared Error schema) and its tag (the
 * path's area). Operation ids, summaries and success responses are the route's
 * own; the OpenAPI lint test holds every route to them. Register before
 * @fastify/swagger, which reads the schemas as this leaves them.
 */
export function documentRoutes(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (route.method === 'HEAD' || (Array.isArray(route.method) && route.method.includes('HEAD'))) return;
    const schema = (route.schema ?? {}) as RouteSchema;
    if (schema.hide) return;
    const response = { ...schema.response };
    if (url.startsWith('/v1/')) {
      const statuses: number[] = [...EVERY_V1_ROUTE];
      if (schema.body || route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT') statuses.push(...WITH_BODY);
      if (url.includes('/:')) statuses.push(...WITH_PARAMS);
      for (const status of statuses) response[status] ??= errorResponse(status);
    }
    schema.tags ??= [areaOf(url)];
    schema.response = response;
    route.schema = schema;
  });
}

/** The tag of a path: its area after the version (`/v1/finops/cogs` → `finops`). */
function areaOf(url: string): string {
  const [first, second] = url.split('/').filter(Boolean);
  const area = first === 'v1' ? second : first;
  return (area ?? 'operations').replace(/:.*$/, '');
}
