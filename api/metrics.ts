import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Channel, IngestResult } from '../ingest/index.ts';

/** The platform's Prometheus metrics, one registry per server. */
export class PlatformMetrics {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: 'companyos_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly latency = new Histogram({
    name: 'companyos_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly events = new Counter({
    name: 'companyos_events_total',
    help: 'Events received, by outcome (accepted, duplicate, rejected) and channel.',
    labelNames: ['outcome', 'channel'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'companyos_' });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  observeIngest(channel: Channel, result: IngestResult): void {
    this.events.inc({ outcome: 'accepted', channel }, result.accepted);
    this.events.inc({ outcome: 'duplicate', channel }, result.duplicates);
    this.events.inc({ outcome: 'rejected', channel }, result.rejected.length);
  }
}
