/**
 * Transforms: a full build of the shipped models over N events for T tenants,
 * then an incremental build after M new events, per engine.
 *
 *   npm run bench:transforms -- [--events 10000000] [--tenants 100] [--new 100000] [--warehouse duckdb,clickhouse]
 *
 * The events are written with plain bulk inserts (loading is reported, not the
 * point). The new events: 99% in the hour after the month, 1% late across it. Baseline, in the same run: one grouped scan of the raw events — the
 * least work any build must do.
 */
import { parseArgs } from 'node:util';
import { TENANT_ZERO, TENANT_ZERO_TYPES } from '../../ingest/index.ts';
import { buildProject } from '../../transforms/index.ts';
import { EVENT_COLUMNS, migrateWarehouse, openWarehouse, type SqlValue, type Warehouse } from '../../warehouse/index.ts';
import { timed } from '../lib/stats.ts';
import { parseEngines, TargetFactory } from '../lib/targets.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    tenants: { type: 'string', default: '100' },
    new: { type: 'string', default: '100000' },
    warehouse: { type: 'string', default: 'duckdb' },
  },
});
const N = Number(args.events);
const TENANTS = Number(args.tenants);
const NEW = Number(args.new);
const CHUNK = 50_000;
const START = Date.UTC(2026, 9, 1);
const MONTH_MS = 30 * 86_400_000;

const pick = <T>(items: readonly T[], i: number) => items[i % items.length]!;

/** The `data` of event i by type: the keys its meters read, as the seeded demo events carry them. */
const DATA: Record<(typeof TENANT_ZERO_TYPES)[number], (i: number) => object> = {
  'policy.decisions_total': (i) => ({ bundle: 'core', package: pick(['entity', 'ledger', 'workflow', 'export'], i >> 3), decision: i % 17 ? 'allow' : 'deny', latency_ms: i % 500 }),
  'workflow.executions_total': (i) => ({ status: pick(['succeeded', 'failed', 'cancelled'], i >> 2), pack: pick(['revops', 'finops', 'high_risk_ops'], i >> 4), runner: pick(['scheduler', 'api'], i >> 5), duration_ms: i % 900 }),
  'high_risk_ops.requests_total': (i) => ({ operation: pick(['export', 'delete', 'purge'], i >> 6), status: pick(['approved', 'denied', 'pending'], i >> 2), approval_latency_ms: i % 300_000, receipt_complete: true }),
  'revops.leads_ingested_total': (i) => ({ lead_source: pick(['web', 'partner'], i >> 7), routing_latency_s: i % 900, routed_within_sla: true }),
  'revops.quotes_submitted_total': (i) => ({ amount: `${(i % 4000) * 25}.00`, currency: 'USD', discount_pct: '5.0', rationale: null, plan: pick(['pro', 'enterprise'], i >> 3) }),
  'resource.cpu_usage': (i) => ({ service: pick(['api', 'warehouse'], i >> 3), cpu_seconds: `${i % 90}.125` }),
  'resource.storage_usage': (i) => ({ store: pick(['warehouse', 'ledger'], i >> 4), gb: `${100 + (i % 50)}.5`, gb_hours: `${100 + (i % 50)}.5` }),
  'api.requests_total': (i) => ({ route: pick(['POST /v1/events', 'GET /v1/events'], i >> 2), status_class: '2xx', status: 200, latency_ms: i % 200 }),
  'notary.calls_total': (i) => ({ operation: pick(['sign', 'verify'], i >> 2), key_id: 'bench' }),
};

/**
 * Event i as an `events` row. The first N are spread over a month; the new
 * ones arrive as a 15-minute schedule sees them: 99% in the hour after that
 * month, 1% late, anywhere in it.
 */
function row(i: number, ingestedAt: Date): SqlValue[] {
  const type = pick(TENANT_ZERO_TYPES, i);
  const late = i % 100 === 0;
  const time = i < N || late ? new Date(START + Math.floor((i * 7919) % MONTH_MS)) : new Date(START + MONTH_MS + (i % 3_600_000));
  return [
    `tenant-${i % TENANTS}`, 'urn:bench', `t-${i}`, type, time, null, 'bundle-1', 'pro', type.split('.')[0]!, 'bench', 'gold',
    'application/json', JSON.stringify(DATA[type](i)), '{}', 'bench', ingestedAt,
  ];
}

async function load(warehouse: Warehouse, from: number, count: number, ingestedAt: Date): Promise<number> {
  const started = performance.now();
  for (let start = from; start < from + count; start += CHUNK) {
    const rows: SqlValue[][] = [];
    for (let i = start; i < Math.min(from + count, start + CHUNK); i++) rows.push(row(i, ingestedAt));
    await warehouse.insert('events', EVENT_COLUMNS, rows);
  }
  return (performance.now() - started) / 1000;
}


const lines: string[] = [];
const summaries: object[] = [];
for (const engine of parseEngines(args.warehouse!)) {
  const targets = await TargetFactory.create(engine);
  const target = await targets.target();
  const warehouse = await openWarehouse(target.config);
  try {
    await migrateWarehouse(warehouse);
    const loadSeconds = await load(warehouse, 0, N, new Date(START + MONTH_MS));
    const [, scan] = await timed(() => warehouse.query('SELECT type, tenant_id, count(*) AS n FROM events GROUP BY type, tenant_id'));
    const build = (fullRefresh: boolean) =>
      timed(() => buildProject(warehouse, { modelsDir: 'models', targetDir: `${target.dataDir}/target`, fullRefresh, tenant: TENANT_ZERO, trigger: 'cli' }));
    const [full, fullSeconds] = await build(true);
    const failed = full.results.filter((r) => r.status !== 'success');
    if (failed.length) throw new Error(`full build failed: ${failed.map((r) => `${r.model}: ${r.message}`).join('; ')}`);
    await load(warehouse, N, NEW, new Date(START + MONTH_MS + 2 * 3_600_000));
    const [incremental, incrementalSeconds] = await build(false);
    const row = (name: string, rows: number, seconds: number) =>
      `${name.padEnd(42)} ${rows.toLocaleString('en-US').padStart(12)} ${seconds.toFixed(2).padStart(8)} s ${Math.round(rows / seconds).toLocaleString('en-US').padStart(12)} rows/s`;
    lines.push(
      row(`load events (${engine}, not timed in targets)`, N, loadSeconds),
      row(`baseline: one grouped scan (${engine})`, N, scan),
      row(`full build, ${full.selected} models (${engine})`, N, fullSeconds),
      row(`incremental build after ${NEW.toLocaleString('en-US')} new (${engine})`, NEW, incrementalSeconds),
    );
    const slowest = (results: typeof full.results) =>
      [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 4).map((r) => `${r.model} ${r.seconds.toFixed(2)}s`).join(', ');
    lines.push(`  slowest models, full (${engine}): ${slowest(full.results)}`, `  slowest models, incremental (${engine}): ${slowest(incremental.results)}`);
    summaries.push({
      benchmark: 'transforms', engine, events: N, tenants: TENANTS, new_events: NEW,
      full_build_s: Number(fullSeconds.toFixed(2)), incremental_build_s: Number(incrementalSeconds.toFixed(2)),
      baseline_scan_s: Number(scan.toFixed(2)), full_to_scan_ratio: Number((fullSeconds / scan).toFixed(1)),
    });
  } finally {
    await warehouse.close();
    await target.dispose();
    await targets.close();
  }
}
console.log(`transforms: ${N.toLocaleString('en-US')} events, ${TENANTS} tenants`);
for (const line of lines) console.log(line);
for (const summary of summaries) console.log(JSON.stringify(summary));
