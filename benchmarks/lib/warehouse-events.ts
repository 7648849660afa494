import { TENANT_ZERO } from '../../platform/tenancy/index.ts';
import { TENANT_ZERO_TYPES } from '../../packs/metering/index.ts';
import { EVENT_COLUMNS, type SqlValue, type Warehouse } from '../../kernel/warehouse/index.ts';

const CHUNK = 50_000;
const pick = <T>(items: readonly T[], i: number) => items[i % items.length]!;
const FLOWS = ['event-ingest', 'create-entity', 'grant-entitlement', 'approval', 'policy-simulate', 'provenance-fetch'];

/** The `data` of event i by type: the keys its meters and the report pages read, as the seeded demo events carry them. */
const DATA: Record<(typeof TENANT_ZERO_TYPES)[number], (i: number) => object> = {
  'policy.decisions_total': (i) => ({ bundle: 'core', package: pick(['entity', 'ledger', 'workflow', 'export'], i >> 3), decision: i % 17 ? 'allow' : 'deny', latency_ms: i % 500 }),
  'workflow.executions_total': (i) => ({ status: pick(['succeeded', 'failed', 'cancelled'], i >> 2), pack: pick(['revops', 'finops', 'high_risk_ops'], i >> 4), runner: pick(['scheduler', 'api'], i >> 5), duration_ms: i % 900 }),
  'high_risk_ops.requests_total': (i) => ({ operation: pick(['export', 'delete', 'purge'], i >> 6), status: pick(['approved', 'denied', 'pending'], i >> 2), approval_latency_ms: i % 300_000, receipt_complete: true }),
  'revops.leads_ingested_total': (i) => ({ lead_source: pick(['web', 'partner'], i >> 7), routing_latency_s: i % 900, routed_within_sla: true }),
  'revops.quotes_submitted_total': (i) => ({ amount: `${(i % 4000) * 25}.00`, currency: 'USD', discount_pct: '5.0', rationale: null, plan: pick(['pro', 'enterprise'], i >> 3) }),
  'resource.cpu_usage': (i) => ({ service: pick(['api', 'warehouse'], i >> 3), cpu_seconds: `${i % 90}.125` }),
  'resource.storage_usage': (i) => ({ store: pick(['warehouse', 'ledger'], i >> 4), gb: `${100 + (i % 50)}.5`, gb_hours: `${100 + (i % 50)}.5` }),
  'api.requests_total': (i) => ({ route: '/v1/events', method: 'POST', status_class: '2xx', status: 200, outcome: i % 401 ? 'ok' : 'error', latency_ms: i % 200 }),
  'notary.calls_total': (i) => ({ operation: pick(['sign', 'verify'], i >> 2), key_id: 'bench' }),
};

export interface BenchEventsSpec {
  from: number;
  count: number;
  /** Events in the first load: these spread over the month; later ones arrive after it (1% late, within it). */
  total: number;
  /** Tenant 0 is summit-internal, the rest `tenant-N`. */
  tenants: number;
  start: number;
  monthMs: number;
  ingestedAt: Date;
}

/** Event i as an `events` row. */
function row(i: number, spec: BenchEventsSpec): SqlValue[] {
  const type = pick(TENANT_ZERO_TYPES, i);
  const late = i % 100 === 0;
  const time = i < spec.total || late ? new Date(spec.start + Math.floor((i * 7919) % spec.monthMs)) : new Date(spec.start + spec.monthMs + (i % 3_600_000));
  const tenant = i % spec.tenants === 0 ? TENANT_ZERO : `tenant-${i % spec.tenants}`;
  const flow = type === 'api.requests_total' ? pick(FLOWS, i >> 3) : type.split('.')[0]!;
  return [
    tenant, 'urn:bench', `t-${i}`, type, time, null, 'bundle-1', 'pro', flow, 'bench', 'gold',
    'application/json', JSON.stringify(DATA[type](i)), '{}', 'bench', spec.ingestedAt,
  ];
}

/** Bulk-inserts events `from`…`from + count`; the seconds it took. */
export async function loadBenchEvents(warehouse: Warehouse, spec: BenchEventsSpec): Promise<number> {
  const started = performance.now();
  for (let start = spec.from; start < spec.from + spec.count; start += CHUNK) {
    const rows: SqlValue[][] = [];
    for (let i = start; i < Math.min(spec.from + spec.count, start + CHUNK); i++) rows.push(row(i, spec));
    await warehouse.insert('events', EVENT_COLUMNS, rows);
  }
  return (performance.now() - started) / 1000;
}
