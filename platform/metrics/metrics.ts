import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchReport, Channel, IngestResult } from '../ingest/index.ts';

/** Window over which the Kafka consumer's events/s gauge is computed. */
const RATE_WINDOW_MS = 10_000;
/** Default Node.js metrics that are gauges named like counters. */
const LINT_BREAKING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

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
    // 1.5 s is the SLOs' latency bound (deploy/slo): alerts count the requests under it.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5],
    registers: [this.registry],
  });

  private readonly events = new Counter({
    name: 'companyos_events_total',
    help: 'Events received, by outcome (accepted, duplicate, rejected) and channel.',
    labelNames: ['outcome', 'channel'] as const,
    registers: [this.registry],
  });

  private readonly kafkaLag = new Gauge({
    name: 'companyos_kafka_consumer_lag',
    help: 'Messages not yet consumed, per topic and partition, as of the last batch.',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  private readonly kafkaBatches = new Counter({
    name: 'companyos_kafka_batches_total',
    help: 'Kafka batches written to the warehouse and committed.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  private readonly kafkaRate = new Gauge({
    name: 'companyos_kafka_consumer_events_per_second',
    help: `Events consumed from Kafka per second over the last ${RATE_WINDOW_MS / 1000} s.`,
    registers: [this.registry],
  });

  private readonly decisions = new Counter({
    name: 'companyos_policy_decisions_total',
    help: 'Policy decisions taken by the gate, by action and decision.',
    labelNames: ['action', 'decision'] as const,
    registers: [this.registry],
  });

  private readonly receipts = new Counter({
    name: 'companyos_receipts_appended_total',
    help: 'Signed receipts appended to tenant ledgers, by action.',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  private readonly overdueApprovals = new Gauge({
    name: 'companyos_workflow_approvals_overdue',
    help: 'Workflow runs waiting for approval longer than their type\'s SLA, by type, as of the last sweep.',
    labelNames: ['workflow_type'] as const,
    registers: [this.registry],
  });

  private readonly leadsPastSla = new Gauge({
    name: 'companyos_revops_leads_past_sla',
    help: 'Routed leads past their first-touch SLA and still untouched, by tenant, as of the last sweep.',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  private readonly drillAge = new Gauge({
    name: 'companyos_dr_last_drill_age_seconds',
    help: 'Seconds since the last DR drill that succeeded (+Inf: none has), as of the last sweep.',
    registers: [this.registry],
  });

  /**
   * Reads, at each scrape, how far continuous backup is behind (`companyos_backup_unshipped_age_seconds`) and how
   * old its base is (`companyos_backup_base_age_seconds`); not exported when backups are not shipped.
   */
  watchBackupShipping(status: () => { unshippedAgeSeconds: number; baseAgeSeconds: number }): void {
    new Gauge({
      name: 'companyos_backup_unshipped_age_seconds',
      help: 'Seconds since the oldest change not yet shipped to the backup target was acknowledged (0: everything is shipped): what a kill now would lose.',
      registers: [this.registry],
      collect() {
        this.set(status().unshippedAgeSeconds);
      },
    });
    new Gauge({
      name: 'companyos_backup_base_age_seconds',
      help: 'Seconds since the base snapshot that continuous backup ships after was taken (a new one is due daily): what a restore replays grows with it.',
      registers: [this.registry],
      collect() {
        this.set(status().baseAgeSeconds);
      },
    });
  }

  /** When the last DR drill succeeded (undefined: none has), measured at `now`. */
  observeLastDrill(at: Date | undefined, now: Date): void {
    this.drillAge.set(at ? Math.max(0, (now.getTime() - at.getTime()) / 1000) : Number.POSITIVE_INFINITY);
  }

  /** Untouched leads past their SLA per tenant (a tenant that had some and has none now is set to zero). */
  observeLeadsPastSla(byTenant: ReadonlyMap<string, number>): void {
    for (const [tenant, count] of byTenant) this.leadsPastSla.set({ tenant }, count);
  }

  /** Runs past their approval SLA by type (every type the engine runs, zero when none). */
  observeOverdueApprovals(byType: ReadonlyMap<string, number>): void {
    for (const [type, count] of byType) this.overdueApprovals.set({ workflow_type: type }, count);
  }

  observeDecision(action: string, decision: string): void {
    this.decisions.inc({ action, decision });
  }

  observeReceipt(action: string): void {
    this.receipts.inc({ action });
  }

  private readonly recentBatches: { at: number; events: number }[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'companyos_' });
    // prom-client's `*_total` gauges break Prometheus naming (`promtool check metrics`: only counters end in
    // _total); their per-type twins (`companyos_nodejs_active_handles{type}`, …) stay, and sum to the same number.
    for (const name of LINT_BREAKING_DEFAULTS) this.registry.removeSingleMetric(`companyos_${name}`);
  }

  observeKafkaBatch(report: BatchReport): void {
    this.observeIngest('kafka', report.result);
    this.kafkaBatches.inc({ topic: report.topic });
    this.kafkaLag.set({ topic: report.topic, partition: String(report.partition) }, report.lag);
    const now = performance.now();
    const { accepted, duplicates, rejected } = report.result;
    this.recentBatches.push({ at: now, events: accepted + duplicates + rejected.length });
    while (this.recentBatches[0]!.at < now - RATE_WINDOW_MS) this.recentBatches.shift();
    this.kafkaRate.set(this.recentBatches.reduce((n, b) => n + b.events, 0) / (RATE_WINDOW_MS / 1000));
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
