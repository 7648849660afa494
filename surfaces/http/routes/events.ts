import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseNdjson, type IngestContext, type IngestPipeline, type IngestResult, type KafkaEventPublisher } from '../../../platform/ingest/index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import type { TenantQuotas, TenantScope } from '../../../platform/tenancy/index.ts';
import { binaryModeRequestEvent, httpContentMode } from '../cloudevents-http.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { PlatformMetrics } from '../../../platform/metrics/index.ts';
import { authorizeOrRefuse, takeIngestQuota } from '../kit/index.ts';
import { eventStats, listEvents } from '../../../platform/ingest/index.ts';
import { eventPageSchema, eventStatsSchema, ingestResultSchema, pageQuerySchema } from '../kit/index.ts';

export const SINGLE_EVENT_TYPE = 'application/cloudevents+json';
export const BATCH_TYPE = 'application/cloudevents-batch+json';
export const NDJSON_TYPE = 'application/x-ndjson';
const EVENT_MEDIA_TYPES = new Set([SINGLE_EVENT_TYPE, BATCH_TYPE, NDJSON_TYPE, 'application/json']);

/** An event as the examples of the request body show it (valid against the CloudEvent schema). */
const EXAMPLE_EVENT = {
  specversion: '1.0',
  id: 'evt-0001',
  source: 'urn:acme:gateway',
  type: 'policy.decisions_total',
  time: '2026-10-01T12:00:00Z',
  tenantid: 'acme',
  policyversion: 'v7',
  plan: 'pro',
  data: { value: 1 },
};

/**
 * What `POST /v1/events` reads, per Content-Type (documentation only: the
 * ingest pipeline validates each event itself, see the route's validatorCompiler).
 */
const eventBodies = {
  content: {
    'application/json': {
      schema: {
        // Plain JSON: one event (an object) or a batch (an array of events).
        oneOf: [{ $ref: 'CloudEvent#' }, { type: 'array', items: { $ref: 'CloudEvent#' } }],
        examples: [[EXAMPLE_EVENT, { ...EXAMPLE_EVENT, id: 'evt-0002' }]],
      },
    },
    [SINGLE_EVENT_TYPE]: {
      schema: { description: 'Structured mode: one event.', allOf: [{ $ref: 'CloudEvent#' }], examples: [EXAMPLE_EVENT] },
    },
    [BATCH_TYPE]: {
      schema: { description: 'Batched mode: an array of events.', type: 'array', items: { $ref: 'CloudEvent#' }, examples: [[EXAMPLE_EVENT]] },
    },
    [NDJSON_TYPE]: {
      schema: {
        type: 'string',
        description: 'One event (a CloudEvent as JSON) a line; blank lines are skipped, a line that is not JSON is parked as EVENT_NOT_JSON.',
        examples: [`${JSON.stringify(EXAMPLE_EVENT)}\n${JSON.stringify({ ...EXAMPLE_EVENT, id: 'evt-0002' })}\n`],
      },
    },
    // Binary mode takes any Content-Type; a media range (*/*) would be the honest key, but the contract's
    // breaking-change check (api-smart-diff) cannot compare one, so the type binary mode is most often sent as stands for them.
    // Its ce- headers are not header parameters: they change what the body is (its data, not events), which
    // parameters cannot say, so a client or the contract fuzz would send them beside an event body.
    'application/octet-stream': {
      schema: {
        description:
          'Binary mode only: one event whose attributes are `ce-` headers (ce-specversion, ce-id, ce-source, ce-type, ce-tenantid and ce-policyversion are required; ' +
          'ce-time, ce-subject and any other `ce-<attribute>`, percent-decoded) and whose data is the body. Any of ce-specversion, ce-id, ce-source or ce-type makes a request binary mode, ' +
          'whatever its Content-Type (which becomes `datacontenttype`): JSON types are read as JSON, text/* and XML in UTF-8 as a string, anything else (as this type) is kept as `data_base64`. ' +
          'Without ce- headers this type is refused (415).',
      },
    },
  },
} as const;


export interface EventRouteDeps {
  warehouse: Warehouse;
  /** A tenant's rows only: how the routes read. */
  scope: (tenant: string) => TenantScope;
  pipeline: IngestPipeline;
  /** Set in Kafka ingest mode: valid events are published, not written. */
  publisher?: KafkaEventPublisher;
  metrics: PlatformMetrics;
  maxBatchEvents: number;
  /** The tenants' ingest quotas: a batch takes its events from its caller's tenant. */
  quotas?: TenantQuotas;
  /** Writes the events the platform has queued for its next batch (workflow metering): reads call it first, so they include them. */
  flushEvents: () => Promise<void>;
}

export function eventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  app.post(
    '/v1/events',
    {
      schema: {
        operationId: 'ingestEvents',
        summary: 'Send one event or a batch',
        description:
          'Stores CloudEvents for the caller\'s tenant (roles admin, operator, writer or connector; decided, not receipted). ' +
          'One CloudEvent, or a batch (a JSON array, or NDJSON as application/x-ndjson: one event per line, ' +
          'a line that is not JSON is parked as EVENT_NOT_JSON and `index` counts non-blank lines). Valid events are stored once per (tenant, source, id); ' +
          'invalid ones are parked in quarantine and listed in `rejected`. Writing for another tenant needs a connector token of the platform operator or of a tenant granted it (403 EVENT_TENANT_NOT_GRANTED). ' +
          'Content modes (CloudEvents HTTP binding): structured `application/cloudevents+json`, batched `application/cloudevents-batch+json`, ' +
          'plain `application/json` (an event or an array) and `application/x-ndjson`; or binary mode, one event: `ce-specversion`, `ce-id`, `ce-source`, ' +
          '`ce-type`, `ce-tenantid`, `ce-policyversion` and any other `ce-<attribute>` header (percent-decoded), any Content-Type as `datacontenttype` ' +
          'and the body as `data` (JSON types as JSON, text/* and XML in UTF-8 as a string, anything else as `data_base64`). ' +
          'Another event format (e.g. application/cloudevents+xml) or a batch with ce- headers answers 415 CLOUDEVENTS_MODE_UNSUPPORTED.',
        body: eventBodies,
        response: { 202: ingestResultSchema },
      },
      // The schema above documents the body; the ingest pipeline validates each
      // event itself so that one bad event does not refuse a whole batch.
      validatorCompiler: () => () => true,
      config: {
        eventBatch: true,
        // Data-plane ingest: decided (not receipted) once per request for the caller's tenant, and once per other tenant
        // its events claim (refuseUngrantedTenants); every event is then deduplicated or parked with its reason.
        gate: { action: 'write_events', resource: (request) => tenantEvents(request.principal!.tenant, request.principal!.region) },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const events = httpContentMode(request.headers) === 'binary'
        ? [binaryModeRequestEvent(request.headers, request.body)]
        : eventsOf(request.body, mediaType(request.headers['content-type']));
      if (events.length > deps.maxBatchEvents) {
        throw new DomainError('BATCH_TOO_LARGE', `This batch has ${events.length}; the limit is ${deps.maxBatchEvents}.`);
      }
      await refuseUngrantedTenants(request, events);
      takeIngestQuota(request, reply, deps.quotas, events.length);
      const context: IngestContext = { channel: 'http', submitter: principal.tenant };
      const result = deps.publisher
        ? await publish(deps.pipeline, deps.publisher, events, context)
        : await deps.pipeline.ingest(events, context);
      deps.metrics.observeIngest('http', result);
      return reply.code(202).send(result);
    },
  );

  app.get<{ Querystring: { type?: string; from?: string; to?: string; limit: number; cursor?: string } }>(
    '/v1/events',
    {
      schema: {
        operationId: 'listEvents',
        summary: "Read back the caller's tenant's events",
        description:
          'The caller\'s tenant\'s stored events as CloudEvents, in time order (then source and id), a page at a time; `from` is inclusive and `to` exclusive (RFC 3339). ' +
          'Any role of the tenant may read them (decided, not receipted).',
        tags: ['events'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', maxLength: 256, description: 'Only events of this type.' },
            from: { type: 'string', format: 'date-time', description: 'Events at or after this time.' },
            to: { type: 'string', format: 'date-time', description: 'Events before this time.' },
            ...pageQuerySchema,
          },
        },
        response: { 200: eventPageSchema },
      },
      config: { gate: { action: 'read', resource: (request) => tenantEvents(request.principal!.tenant, request.principal!.region) } },
    },
    async (request) => {
      const { type, from, to, limit, cursor } = request.query;
      await deps.flushEvents();
      return listEvents(deps.scope(request.principal!.tenant), {
        type,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
        limit,
        cursor,
      });
    },
  );

  app.get(
    '/v1/events/stats',
    {
      schema: {
        operationId: 'getEventStats',
        summary: "Counts of the caller's tenant's events by type",
        description: 'How many events the caller\'s tenant has stored, per type, with the first and last event time of each. Any role of the tenant may read them (decided, not receipted).',
        tags: ['events'],
        response: { 200: eventStatsSchema },
      },
      config: { gate: { action: 'read', resource: (request) => tenantEvents(request.principal!.tenant, request.principal!.region) } },
    },
    async (request) => {
      const tenant = request.principal!.tenant;
      await deps.flushEvents();
      return { tenant, ...(await eventStats(deps.scope(tenant))) };
    },
  );
}

/**
 * Kafka ingest mode: invalid events are parked now; valid ones are published and
 * counted as accepted. Duplicates are only known when the consumer writes them,
 * so `duplicates` is 0 here.
 */
async function publish(
  pipeline: IngestPipeline,
  publisher: KafkaEventPublisher,
  events: unknown[],
  context: IngestContext,
): Promise<IngestResult> {
  const screened = await pipeline.screen(events, context);
  await publisher.publish(screened.events);
  return { accepted: screened.events.length, duplicates: 0, rejected: screened.rejected };
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function eventsOf(body: unknown, type: string): unknown[] {
  if (!EVENT_MEDIA_TYPES.has(type)) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `Got "${type || 'none'}".`);
  if (type === NDJSON_TYPE) return parseNdjson(body as string);
  if (Array.isArray(body) && type !== SINGLE_EVENT_TYPE) return body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && type !== BATCH_TYPE) return [body];
  const expected = type === SINGLE_EVENT_TYPE ? 'a JSON object' : type === BATCH_TYPE ? 'a JSON array' : 'an object or an array';
  throw new DomainError('BODY_NOT_EVENTS', `With ${type} the body must be ${expected}.`);
}

const tenantEvents = (tenant: string, region: string) => ({ id: `events/${tenant}`, tenant, kind: 'Events', data_class: 'internal', region });

/**
 * Each other tenant the batch's events claim is a write_events decision on that tenant's events (the platform
 * operator's connectors, or a granted tenant's: kernel/policies/data/tenants.json). One refusal refuses the whole
 * request, naming the first event for that tenant: nothing is stored.
 */
async function refuseUngrantedTenants(request: FastifyRequest, events: readonly unknown[]): Promise<void> {
  const principal = request.principal!;
  const firstIndex = new Map<string, number>();
  events.forEach((event, index) => {
    const tenant = (event as { tenantid?: unknown } | null)?.tenantid;
    if (typeof tenant === 'string' && tenant !== principal.tenant && !firstIndex.has(tenant)) firstIndex.set(tenant, index);
  });
  for (const [tenant, index] of firstIndex) {
    // A connector API key writes for the tenants it names only, whatever grants its tenant holds.
    if (principal.tenants && !principal.tenants.includes(tenant)) {
      throw new DomainError('EVENT_TENANT_NOT_GRANTED', `Event ${index} is for tenant "${tenant}"; this API key writes for ${principal.tenants.join(', ') || 'its own tenant'} only. Nothing was stored.`);
    }
    await authorizeOrRefuse(request, 'write_events', tenantEvents(tenant, principal.region), (denied) =>
      new DomainError('EVENT_TENANT_NOT_GRANTED', `Event ${index} is for tenant "${tenant}"; ${principal.tenant} has no grant to write there. Nothing was stored.`, denied.fields),
    );
  }
}
