/**
 * FinOps: import a FOCUS bill of N rows across T tenants, build the attribution
 * and economics models over it (with a month of per-tenant usage for the shared
 * splits), query one tenant's cost Q times, run W pricing what-ifs, and generate
 * and deliver every tenant's invoice to a loopback webhook.
 *
 *   npm run bench:finops -- [--rows 1000000] [--tenants 100] [--queries 200] [--what-ifs 20] [--warehouse duckdb,clickhouse]
 *
 * On DuckDB the import is followed by a timed `CHECKPOINT`: the work an import
 * leaves behind, which the next writer would otherwise wait for. The import is
 * timed twice there: as above, and once more into a fresh
 * warehouse whose writes are recorded for continuous backup (what the
 * platform runs with `COMPANYOS_BACKUP_SHIPPING` set), with the bytes its
 * spool then holds for shipping.
 *
 * Baselines, in the same run: DuckDB reading the file as text with nothing
 * else (`count(*)` over read_csv) for the import; a `count(*)` of the
 * allocation table for the query; reading the built SKU margins for the what-if.
 */
import { createWriteStream } from 'node:fs';
import { openStateStore } from '../../kernel/state/index.ts';
import { TenantScope } from '../../platform/tenancy/index.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_WEBHOOK, generateInvoices, readMargins, readTenantCost, simulatePricing } from '../../packs/finops/index.ts';
import { importBillFile } from '../../packs/finops/index.ts';
import { TENANT_ZERO } from '../../platform/tenancy/index.ts';
import { buildProject } from '../../platform/transforms/index.ts';
import { loadPricing } from '../../packs/finops/index.ts';
import { DuckDBWarehouse, EVENT_COLUMNS, type EngineName, type SqlValue, type Warehouse } from '../../kernel/warehouse/index.ts';
import { captureChanges } from '../../platform/backup/index.ts';
import { percentiles, timed } from '../lib/stats.ts';
import { onScratchWarehouse, parseEngines } from '../lib/targets.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    tenants: { type: 'string', default: '100' },
    queries: { type: 'string', default: '200' },
    'what-ifs': { type: 'string', default: '20' },
    warehouse: { type: 'string', default: 'duckdb' },
  },
});
const ROWS = Number(args.rows);
const TENANTS = Number(args.tenants);
const QUERIES = Number(args.queries);
const WHAT_IFS = Number(args['what-ifs']);
const START = Date.UTC(2026, 9, 1);
const HOURS = 30 * 24;
const HOUR_MS = 3_600_000;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Row i: hourly charges; 10% on shared databases (split by CPU-seconds), the rest tagged to a tenant; some credits. */
async function writeBill(path: string): Promise<void> {
  const out = createWriteStream(path);
  const write = (text: string) => (out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write('BillingAccountId,InvoiceId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,ResourceId,ServiceName,ProviderName,Tags\n');
  const per = Math.ceil(ROWS / HOURS);
  let buffer = '';
  for (let i = 0; i < ROWS; i++) {
    const hour = Math.floor(i / per);
    const start = START + hour * HOUR_MS;
    const tenant = `tenant-${i % TENANTS}`;
    const shared = i % 10 === 0;
    const credit = i % 97 === 0;
    const cost = credit ? `-${(i % 7) + 1}.25` : `${(i % 1000) / 100 + 0.013}`;
    const tags = shared ? '"{""shared"": ""database""}"' : `"{""Tenant"": ""${tenant}""}"`;
    buffer += `bench-acct,INV-202610,USD,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,${iso(start)},${iso(start + HOUR_MS)},${credit ? 'Credit' : 'Usage'},${cost},${cost},${shared ? 'shared-db-1' : `vm-${tenant}-${i % 40}`},${shared ? 'Databases' : 'Compute'},BenchCloud,${tags}\n`;
    if (buffer.length > 1 << 20) {
      await write(buffer);
      buffer = '';
    }
  }
  await write(buffer);
  await new Promise<void>((done) => out.end(done));
}

/** Hourly CPU-seconds on the shared database per tenant: what the shared rows are split by. */
function usageEvents(): SqlValue[][] {
  const rows: SqlValue[][] = [];
  const ingestedAt = new Date(START + HOURS * HOUR_MS);
  for (let h = 0; h < HOURS; h++) {
    for (let t = 0; t < TENANTS; t++) {
      rows.push([
        `tenant-${t}`, 'urn:bench', `cpu-${h}-${t}`, 'resource.cpu_usage', new Date(START + h * HOUR_MS + 60_000), null, 'bundle-1', 'pro',
        'resource', 'bench', 'gold', 'application/json', JSON.stringify({ service: 'shared-db', cpu_seconds: `${(t % 13) + 1}.5` }), '{}', 'bench', ingestedAt,
      ]);
    }
  }
  return rows;
}

/** The import into a fresh warehouse whose writes are recorded for continuous backup, and what that record spools for shipping. */
async function measureLoggedImport(engine: EngineName, bill: string): Promise<{ seconds: number; spooledBytes: number }> {
  return onScratchWarehouse(engine, async (warehouse, dataDir) => {
    const spoolDir = join(dataDir, 'spool');
    const captured = await captureChanges(warehouse, { tables: platformTables(), spoolDir, dataDir });
    try {
      const [report, seconds] = await timed(() => importBillFile(captured.warehouse, bill, { tenant: TENANT_ZERO }));
      if (report.rows_loaded !== ROWS) throw new Error(`imported ${report.rows_loaded} of ${ROWS} rows with continuous backup`);
      const spooled = await readdir(spoolDir);
      let spooledBytes = 0;
      for (const name of spooled) spooledBytes += (await stat(join(spoolDir, name))).size;
      return { seconds, spooledBytes };
    } finally {
      await captured.state.close();
    }
  });
}

/** What-if pricing latency (a tenant moves tier, a pack leaves the base SKU) against reading the built margins, and invoicing every tenant. */
async function measureEconomics(warehouse: Warehouse) {
  const pricing = await loadPricing('models');
  if (!pricing) throw new Error('models/finops/pricing.yaml is missing');
  const [, marginsSeconds] = await timed(() => readMargins(new TenantScope(warehouse, TENANT_ZERO), '2026-10', pricing));
  const samples: number[] = [];
  for (let q = 0; q < WHAT_IFS; q++) {
    const started = performance.now();
    await simulatePricing(new TenantScope(warehouse, TENANT_ZERO), '2026-10', pricing, { tierMoves: { [`tenant-${q % TENANTS}`]: 'platinum' }, excludedPacks: ['revops'] });
    samples.push(performance.now() - started);
  }
  const receiver = createServer((request, response) => request.resume().on('end', () => response.writeHead(200).end()));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/invoices`;
  try {
    const state = await openStateStore(warehouse, { tables: platformTables() });
    const [run, invoiceSeconds] = await timed(() => generateInvoices(warehouse, state, TENANT_ZERO, '2026-10', { ...DEFAULT_WEBHOOK, url, secret: 'bench-secret-bench-secret-bench-secret' }));
    await state.close();
    return { whatIf: percentiles(samples), marginsMs: marginsSeconds * 1000, invoiceSeconds, invoices: run.invoices.length, delivered: run.delivered };
  } finally {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

const dir = await mkdtemp(join(tmpdir(), 'companyos-bench-finops-'));
const bill = join(dir, 'bill.csv');
const [, writeSeconds] = await timed(() => writeBill(bill));
const lines: string[] = [`finops: ${ROWS.toLocaleString('en-US')} bill rows, ${TENANTS} tenants (bill written in ${writeSeconds.toFixed(1)}s)`];
const summaries: object[] = [];
try {
  const scratch = await DuckDBWarehouse.open(':memory:');
  const [, readSeconds] = await timed(() => scratch.query(`SELECT count(*) AS n FROM read_csv('${bill}', all_varchar = true)`));
  await scratch.close();
  for (const engine of parseEngines(args.warehouse!)) {
    await onScratchWarehouse(engine, async (warehouse, dataDir) => {
      await warehouse.insert('events', EVENT_COLUMNS, usageEvents());
      const [report, importSeconds] = await timed(() => importBillFile(warehouse, bill, { tenant: TENANT_ZERO }));
      if (report.rows_loaded !== ROWS) throw new Error(`imported ${report.rows_loaded} of ${ROWS} rows`);
      // What the import leaves for the next checkpoint, which every writer waits for (the platform runs one every 100,000 rows).
      const [, checkpointSeconds] = engine === 'duckdb' ? await timed(() => warehouse.execute('CHECKPOINT')) : [undefined, undefined];
      const [build, buildSeconds] = await timed(() =>
        buildProject(warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${dataDir}/target`, select: ['+tag:finops'], tenant: TENANT_ZERO, trigger: 'cli' }),
      );
      const failed = build.results.filter((r) => r.status !== 'success');
      if (failed.length) throw new Error(`build failed: ${failed.map((r) => `${r.model}: ${r.message}`).join('; ')}`);
      const [, countSeconds] = await timed(() => warehouse.query('SELECT count(*) AS n FROM finops_cost_allocation'));
      const samples: number[] = [];
      for (let q = 0; q < QUERIES; q++) {
        const started = performance.now();
        await readTenantCost(new TenantScope(warehouse, TENANT_ZERO), `tenant-${(q * 37) % TENANTS}`, { groupBy: (['service', 'pack', 'day'] as const)[q % 3] });
        samples.push(performance.now() - started);
      }
      const p = percentiles(samples);
      const economics = await measureEconomics(warehouse);
      const finops = build.results.filter((r) => r.model.startsWith('finops_')).reduce((a, r) => a + r.seconds, 0);
      lines.push(
        `import (${engine})                    ${importSeconds.toFixed(2).padStart(8)} s ${Math.round(ROWS / importSeconds).toLocaleString('en-US').padStart(10)} rows/s   baseline read_csv ${readSeconds.toFixed(2)} s (×${(importSeconds / readSeconds).toFixed(1)})` +
          (checkpointSeconds === undefined ? '' : `; the checkpoint after it ${checkpointSeconds.toFixed(2)} s`),
        `build +tag:finops, ${build.selected} models (${engine}) ${buildSeconds.toFixed(2).padStart(6)} s   (finops models ${finops.toFixed(2)} s)`,
        `tenant cost query (${engine})         p50 ${p.p50.toFixed(1)} ms  p95 ${p.p95.toFixed(1)} ms  p99 ${p.p99.toFixed(1)} ms   baseline count(*) ${(countSeconds * 1000).toFixed(1)} ms`,
        `pricing what-if (${engine})           p50 ${economics.whatIf.p50.toFixed(1)} ms  p95 ${economics.whatIf.p95.toFixed(1)} ms  p99 ${economics.whatIf.p99.toFixed(1)} ms   baseline built margins read ${economics.marginsMs.toFixed(1)} ms (×${(economics.whatIf.p50 / economics.marginsMs).toFixed(1)} at p50)`,
        `invoices generate + deliver (${engine}) ${economics.invoiceSeconds.toFixed(2).padStart(6)} s for ${economics.invoices} invoices (${Math.round(economics.invoices / economics.invoiceSeconds)} /s), ${economics.delivered} delivered to a loopback webhook`,
      );
      const logged = engine === 'duckdb' ? await measureLoggedImport(engine, bill) : undefined;
      if (logged) {
        lines.push(
          `import with continuous backup (${engine}) ${logged.seconds.toFixed(2).padStart(6)} s ${Math.round(ROWS / logged.seconds).toLocaleString('en-US').padStart(10)} rows/s   (×${(logged.seconds / readSeconds).toFixed(1)} the baseline read; ${(logged.spooledBytes / 1e6).toFixed(1)} MB spooled for shipping)`,
        );
      }
      summaries.push({
        benchmark: 'finops', engine, rows: ROWS, tenants: TENANTS, import_s: Number(importSeconds.toFixed(2)), baseline_read_s: Number(readSeconds.toFixed(2)),
        ...(checkpointSeconds === undefined ? {} : { checkpoint_after_import_s: Number(checkpointSeconds.toFixed(2)) }),
        ...(logged ? { import_backed_up_s: Number(logged.seconds.toFixed(2)), import_spooled_mb: Number((logged.spooledBytes / 1e6).toFixed(1)) } : {}),
        build_s: Number(buildSeconds.toFixed(2)), query_p50_ms: Number(p.p50.toFixed(1)), query_p95_ms: Number(p.p95.toFixed(1)), query_p99_ms: Number(p.p99.toFixed(1)),
        what_if_p95_ms: Number(economics.whatIf.p95.toFixed(1)), invoices_s: Number(economics.invoiceSeconds.toFixed(2)),
      });
    });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const line of lines) console.log(line);
for (const summary of summaries) console.log(JSON.stringify(summary));
