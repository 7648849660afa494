/**
 * Transforms: a full build of the shipped models over N events for T tenants,
 * then an incremental build after M new events, per engine.
 *
 *   npm run bench:transforms -- [--events 10000000] [--tenants 100] [--new 100000] [--warehouse duckdb,clickhouse]
 *
 * The events are written with plain bulk inserts (loading is reported, not the
 * point). Baseline, in the same run: one grouped scan of the raw events — the
 * least work any build must do.
 */
import { parseArgs } from 'node:util';
import { TENANT_ZERO, TENANT_ZERO_TYPES } from '../../ingest/index.ts';
import { buildProject } from '../../transforms/index.ts';
import { EVENT_COLUMNS, migrateWarehouse, openWarehouse, type SqlValue, type Warehouse } from '../../warehouse/index.ts';
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

/** Event i as an `events` row, with every field the shipped meters group by. */
function row(i: number, ingestedAt: Date): SqlValue[] {
  const type = pick(TENANT_ZERO_TYPES, i);
  const data = {
    bundle: 'core', package: pick(['entity', 'ledger', 'workflow', 'export'], i >> 3), decision: i % 17 ? 'allow' : 'deny',
    status: pick(['succeeded', 'failed', 'approved', 'denied'], i >> 2), pack: pick(['revops', 'finops', 'high_risk_ops'], i >> 4),
    runner: pick(['scheduler', 'api'], i >> 5), operation: pick(['export', 'delete', 'purge'], i >> 6), lead_source: pick(['web', 'partner'], i >> 7),
    latency_ms: i % 500, amount: `${(i % 4000) * 25}.00`, currency: 'USD', plan: 'pro',
    service: pick(['api', 'warehouse'], i >> 3), cpu_seconds: `${i % 90}.125`, store: pick(['warehouse', 'ledger'], i >> 4),
    gb: `${100 + (i % 50)}.5`, gb_hours: `${100 + (i % 50)}.5`, route: pick(['POST /v1/events', 'GET /v1/events'], i >> 2), status_class: '2xx',
  };
  const time = new Date(START + Math.floor((i * 7919) % MONTH_MS));
  return [
    `tenant-${i % TENANTS}`, 'urn:bench', `t-${i}`, type, time, null, 'bundle-1', 'pro', type.split('.')[0]!, 'bench', 'gold',
    'application/json', JSON.stringify(data), '{}', 'bench', ingestedAt,
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

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await fn();
  return [result, (performance.now() - started) / 1000];
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
    await load(warehouse, N, NEW, new Date(START + MONTH_MS + 3_600_000));
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
