import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { flowOf } from '../../platform/metrics/index.ts';
import type { Platform } from '../compose/index.ts';

/** The event type the API's own requests are recorded as. */
export const REQUEST_EVENT_TYPE = 'api.requests_total';

export interface SelfMeteringOptions {
  /** Share of requests recorded, 0–1 (COMPANYOS_SELF_METERING_SAMPLE). */
  sample: number;
  /** Tenant that unauthenticated requests (health, metrics) are recorded under: the operator's. */
  operatorTenant: string;
}

/**
 * The platform measures itself through its own front door: every API request
 * (route, flow, tenant, status, latency) becomes an `api.requests_total` event
 * in the caller's tenant, through the same ingest pipeline as any customer's,
 * queued with the platform's own events for their batch, off the request path
 * (a kill loses the last batch of a sample). SLO models read them like any other events.
 */
export class SelfMetering {
  constructor(
    private readonly queue: Pick<Platform, 'queueEvents' | 'flushEvents'>,
    private readonly options: SelfMeteringOptions,
  ) {}

  observe(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url;
    if (!route?.startsWith('/v1/') || Math.random() >= this.options.sample) return;
    const tenant = request.principal?.tenant ?? this.options.operatorTenant;
    const status = reply.statusCode;
    this.queue.queueEvents([{
      specversion: '1.0',
      id: randomUUID(),
      source: '/companyos/api',
      type: REQUEST_EVENT_TYPE,
      time: new Date().toISOString(),
      tenantid: tenant,
      policyversion: 'self-metering/v1',
      flowtype: flowOf(request.method, route),
      data: {
        route,
        method: request.method,
        status,
        status_class: `${String(status)[0]}xx`,
        // Server-side failures spend the error budget; a refused bad request does not.
        outcome: status >= 500 ? 'error' : 'ok',
        latency_ms: Math.round(reply.elapsedTime * 1000) / 1000,
        sample_rate: this.options.sample,
      },
    }]);
  }

  /** Resolves when every request observed so far is stored. */
  flush(): Promise<void> {
    return this.queue.flushEvents();
  }
}
