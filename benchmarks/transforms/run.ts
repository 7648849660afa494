/**
 * Transforms: a full build of the shipped models over N events for T tenants,
 * then an incremental build after M new events, per engine.
 *
 *   npm run bench:transforms -- [--events 10000000] [--tenants 100] [--new 100000] [--warehouse duckdb,clickhouse]
 *
 * The events are written with plain bulk inserts (loading is reported, not the
 * point; on DuckDB the checkpoint the new events' load owes is run and timed before the incremental build, not
 * inside it). The new events: 99% in the hour after the month, 1% late across it. Baseline, in the same run: one grouped scan of the raw events — the
 * least work any build must do.
 */
import { parseArgs } from 'node:util';
import { TENANT_ZERO } from '../../platform/tenancy/index.ts';
import { buildProject } from '../../platform/transforms/index.ts';
import { loadBenchEvents } from '../lib/warehouse-events.ts';
import { timed } from '../lib/stats.ts';
import { onScratchWarehouse, parseEngines } from '../lib/targets.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';

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
const START = Date.UTC(2026, 9, 1);
const MONTH_MS = 30 * 86_400_000;
const load = (warehouse: Parameters<typeof loadBenchEvents>[0], from: number, count: number, ingestedAt: Date) =>
  loadBenchEvents(warehouse, { from, count, total: N, tenants: TENANTS, start: START, monthMs: MONTH_MS, ingestedAt, stampedAfterTime: true });


const lines: string[] = [];
const summaries: object[] = [];
for (const engine of parseEngines(args.warehouse!)) {
  await onScratchWarehouse(engine, async (warehouse, dataDir) => {
    const loadSeconds = await load(warehouse, 0, N, new Date(START + MONTH_MS));
    const [, scan] = await timed(() => warehouse.query('SELECT type, tenant_id, count(*) AS n FROM events GROUP BY type, tenant_id'));
    const build = (fullRefresh: boolean) =>
      timed(() => buildProject(warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${dataDir}/target`, fullRefresh, tenant: TENANT_ZERO, trigger: 'cli' }));
    const [full, fullSeconds] = await build(true);
    const failed = full.results.filter((r) => r.status !== 'success');
    if (failed.length) throw new Error(`full build failed: ${failed.map((r) => `${r.model}: ${r.message}`).join('; ')}`);
    await load(warehouse, N, NEW, new Date(START + MONTH_MS + 2 * 3_600_000));
    // The checkpoint the load owes (the adapter queues one every 100,000 appended rows): ingest's work, timed on its own
    // rather than inside the build's first write.
    const [, checkpointSeconds] = engine === 'duckdb' ? await timed(() => warehouse.execute('CHECKPOINT')) : [undefined, 0];
    const [incremental, incrementalSeconds] = await build(false);
    const row = (name: string, rows: number, seconds: number) =>
      `${name.padEnd(42)} ${rows.toLocaleString('en-US').padStart(12)} ${seconds.toFixed(2).padStart(8)} s ${Math.round(rows / seconds).toLocaleString('en-US').padStart(12)} rows/s`;
    lines.push(
      row(`load events (${engine}, not timed in targets)`, N, loadSeconds),
      row(`baseline: one grouped scan (${engine})`, N, scan),
      row(`full build, ${full.selected} models (${engine})`, N, fullSeconds),
      row(`incremental build after ${NEW.toLocaleString('en-US')} new (${engine})`, NEW, incrementalSeconds),
    );
    if (engine === 'duckdb') lines.push(`  the load's checkpoint before it (not in the build): ${checkpointSeconds.toFixed(2)} s`);
    const slowest = (results: typeof full.results) =>
      [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 4).map((r) => `${r.model} ${r.seconds.toFixed(2)}s`).join(', ');
    lines.push(`  slowest models, full (${engine}): ${slowest(full.results)}`, `  slowest models, incremental (${engine}): ${slowest(incremental.results)}`);
    summaries.push({
      benchmark: 'transforms', engine, events: N, tenants: TENANTS, new_events: NEW,
      full_build_s: Number(fullSeconds.toFixed(2)), incremental_build_s: Number(incrementalSeconds.toFixed(2)),
      baseline_scan_s: Number(scan.toFixed(2)), full_to_scan_ratio: Number((fullSeconds / scan).toFixed(1)),
    });
  });
}
console.log(`transforms: ${N.toLocaleString('en-US')} events, ${TENANTS} tenants`);
for (const line of lines) console.log(line);
for (const summary of summaries) console.log(JSON.stringify(summary));
