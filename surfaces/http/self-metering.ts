import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestPipeline } from '../../platform/ingest/index.ts';
import { flowOf } from '../../platform/metrics/index.ts';
import { BufferedWriter } from '../../kernel/warehouse/index.ts';

/** The event type the API's own requests are recorded as. */
export const REQUEST_EVENT_TYPE = 'api.requests_total';

export interface SelfMeteringOptions {
  /** Share of requests recorded, 0–1 (COMPANYOS_SELF_METERING_SAMPLE). */
  sample: number;
  /** Tenant that unauthenticated requests (health, metrics) are recorded under: the operator's. */
  operatorTenant: string;
  flushAfterMs?: number;
}

/**
 * The platform measures itself through its own front door: every API request
 * (route, flow, tenant, status, latency) becomes an `api.requests_total` event
 * in the caller's tenant, through the same ingest pipeline as any customer's,
 * in batches off the request path. SLO models read them like any other events.
 */
export class SelfMetering {
  private readonly writer: BufferedWriter<Record<string, unknown>>;

  constructor(
    pipeline: IngestPipeline,
    private readonly options: SelfMeteringOptions,
    log: Pick<FastifyBaseLogger, 'error'>,
  ) {
    this.writer = new BufferedWriter(
      async (events) => void (await pipeline.ingest(events, { channel: 'http', submitter: options.operatorTenant })),
      (error, pending) => log.error({ err: error, events: pending }, "could not record the API's own requests; retrying"),
      { flushAfterMs: options.flushAfterMs ?? 1000, maxBatch: 1000 },
    );
  }

  observe(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url;
    if (!route?.startsWith('/v1/') || Math.random() >= this.options.sample) return;
    const tenant = request.principal?.tenant ?? this.options.operatorTenant;
    const status = reply.statusCode;
    this.writer.push({
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
    });
  }

  /** Resolves when every request observed so far is stored. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
