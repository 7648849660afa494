/**
 * Report pages: how long each page takes to render (its queries, the SVG charts,
 * the HTML) on the demo data `npm start` seeds and on a large data set, DuckDB.
 *
 *   npm run bench:reports -- [--events 10000000] [--tenants 100] [--runs 5]
 *
 * Demo: the Tenant Zero week, a simulated bill of 8 tenants, every model built.
 * Large: the transforms benchmark's `--events` events (tenant 0 is summit-internal,
 * so it holds events/tenants of them), a simulated bill of `--tenants` tenants, every model built.
 * Baseline, in the same run: the page's queries alone (the warehouse's share).
 * Also in the same run, the engine's floor for a page of the tenant's events: one read of all of them, every
 * column (`data` included). Prints p50 and max per page over `--runs` renders; target (issue 23): every page
 * ≤ 300 ms on the large set.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IngestPipeline } from '../../platform/ingest/index.ts';
import { DEFAULT_SIMULATION, importBillFile, simulate, simulatedBillCsv } from '../../packs/finops/index.ts';
import { sql, stateSource, TENANT_ZERO, TenantScope } from '../../platform/tenancy/index.ts';
import { openStateStore } from '../../kernel/state/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { tenantZeroWeek } from '../../packs/metering/index.ts';
import { renderPage, runQueries } from '../../surfaces/reports/index.ts';
import { loadPages, navigation } from '../../surfaces/reports/index.ts';
import { buildProject } from '../../platform/transforms/index.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { percentiles } from '../lib/stats.ts';
import { onScratchWarehouse } from '../lib/targets.ts';
import { loadBenchEvents } from '../lib/warehouse-events.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '10000000' }, tenants: { type: 'string', default: '100' }, runs: { type: 'string', default: '5' } },
});
const EVENTS = Number(args.events);
const TENANTS = Number(args.tenants);
const RUNS = Number(args.runs);
const TARGET_MS = 300;

async function importSimulatedBill(warehouse: Warehouse, tenants: number): Promise<void> {
  const simulation = simulate({ ...DEFAULT_SIMULATION, tenants });
  await new IngestPipeline(warehouse).ingest(simulation.events, { channel: 'seed', submitter: TENANT_ZERO });
  const dir = await mkdtemp(join(tmpdir(), 'companyos-bench-bill-'));
  try {
    await writeFile(join(dir, 'bill.csv'), simulatedBillCsv(simulation.bill));
    await importBillFile(warehouse, join(dir, 'bill.csv'), { tenant: TENANT_ZERO, fileName: 'bill.csv' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(label: string, warehouse: Warehouse, dataDir: string): Promise<string[]> {
  const built = await buildProject(warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: join(dataDir, 'target'), tenant: TENANT_ZERO, trigger: 'cli' });
  const failed = built.results.filter((r) => r.status !== 'success');
  if (failed.length) throw new Error(`build failed: ${failed.map((r) => `${r.model}: ${r.message}`).join('; ')}`);
  const pages = await loadPages();
  const state = await openStateStore(warehouse, { dataDir, tables: platformTables() });
  const context = {
    scope: new TenantScope(warehouse, TENANT_ZERO), stateScope: new TenantScope(stateSource(state), TENANT_ZERO),
    nav: navigation(pages), href: (s: string) => s, csvHref: (s: string) => s,
  };
  const lines: string[] = [];
  for (const [slug, page] of pages) {
    const queries: number[] = [];
    const renders: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      let started = performance.now();
      await runQueries(page, context);
      queries.push(performance.now() - started);
      started = performance.now();
      const rendered = await renderPage(page, context);
      renders.push(performance.now() - started);
      if (rendered.problems.length) throw new Error(`${slug}: ${rendered.problems.join('; ')}`);
    }
    const { p50: render50, max: worst } = percentiles(renders);
    const { p50: query50 } = percentiles(queries);
    lines.push(
      `${label.padEnd(7)} ${slug.padEnd(24)} ${query50.toFixed(0).padStart(9)} ${render50.toFixed(0).padStart(9)} ${worst.toFixed(0).padStart(8)} ` +
        `${(render50 / query50).toFixed(2).padStart(6)}×  ${worst <= TARGET_MS ? 'PASS' : 'MISS'}`,
    );
    console.log(JSON.stringify({ benchmark: 'reports', set: label, page: slug, queries_p50_ms: Math.round(query50), render_p50_ms: Math.round(render50), render_max_ms: Math.round(worst) }));
  }
  const reads: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await context.scope.query(sql`SELECT count(*) AS n, sum(length(CAST(data AS VARCHAR))) AS bytes FROM ${context.scope.table('stg_events')}`);
    reads.push(performance.now() - started);
  }
  const floor = percentiles(reads).p50;
  lines.push(`${label.padEnd(7)} ${'(one read of the events)'.padEnd(24)} ${floor.toFixed(0).padStart(9)}`);
  console.log(JSON.stringify({ benchmark: 'reports', set: label, baseline: 'one read of the tenant events, every column', p50_ms: Math.round(floor) }));
  await state.close();
  return lines;
}

const table = [`${'set'.padEnd(7)} ${'page'.padEnd(24)} ${'queries'.padStart(9)} ${'page p50'.padStart(9)} ${'max ms'.padStart(8)}  ratio  ≤ ${TARGET_MS} ms`];
for (const set of ['demo', 'large'] as const) {
  await onScratchWarehouse('duckdb', async (warehouse, dataDir) => {
    const started = performance.now();
    if (set === 'demo') {
      await new IngestPipeline(warehouse).ingest(tenantZeroWeek(new Date()), { channel: 'seed', submitter: TENANT_ZERO });
      await importSimulatedBill(warehouse, 8);
    } else {
      await loadBenchEvents(warehouse, { from: 0, count: EVENTS, total: EVENTS, tenants: TENANTS, start: Date.UTC(2026, 9, 1), monthMs: 30 * 86_400_000, ingestedAt: new Date() });
      await importSimulatedBill(warehouse, TENANTS);
    }
    console.log(`${set}: data loaded in ${((performance.now() - started) / 1000).toFixed(1)} s${set === 'large' ? ` (${EVENTS.toLocaleString('en-US')} events, ${TENANTS} tenants)` : ''}; building and rendering…`);
    table.push(...(await measure(set, warehouse, dataDir)));
  });
}
console.log(`\nPage render times in ms over ${RUNS} runs (queries = the page's SQL alone, the baseline; ratio = page / queries):`);
console.log(table.join('\n'));
