/**
 * Erasing one subject from a DuckDB warehouse of N events over S subjects: the delete, then the
 * storage reclaim (the events table replaced by a copy of its live rows, every free block of the file
 * overwritten). Baseline in the same run: a plain copy of the database file — what rewriting it at
 * least costs. Small inserts keep arriving (one every 5 ms) before and during the erasure: their
 * latency shows what the erasure costs the writers it holds.
 *
 *   npm run bench:erasure -- [--events 2000000] [--subjects 10000]
 *
 * Figures: seconds of each phase, the reclaim's rows/s and MB/s against the file copy's, and the
 * inserts' p50/p95/p99 before and during.
 */
import { copyFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EVENT_COLUMNS, type SqlValue, type Warehouse } from '../../kernel/warehouse/index.ts';
import { percentiles, timed } from '../lib/stats.ts';
import { onScratchWarehouse } from '../lib/targets.ts';
import { loadBenchEvents } from '../lib/warehouse-events.ts';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '2000000' }, subjects: { type: 'string', default: '10000' } } });
const N = Number(args.events);
const SUBJECTS = Number(args.subjects);
const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);

/** One small insert every 5 ms while `during` runs; each insert's latency in ms. */
async function insertsDuring(warehouse: Warehouse, during: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let stop = false;
  let i = 0;
  const writer = (async () => {
    while (!stop) {
      const row: SqlValue[] = ['tenant-1', 'urn:probe', `probe-${Date.now()}-${i++}`, 'usage.recorded', new Date(), 'probe', 'b', 'pro', 'usage', 'bench', 'gold', 'application/json', '{}', '{}', 'bench', new Date()];
      const started = performance.now();
      await warehouse.insert('events', EVENT_COLUMNS, [row]);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    await during();
  } finally {
    stop = true;
    await writer;
  }
  return latencies;
}

const line = (label: string, samples: readonly number[]) => {
  const p = percentiles(samples);
  return `${label.padEnd(28)} ${String(samples.length).padStart(6)} inserts  p50 ${p.p50.toFixed(1)} ms  p95 ${p.p95.toFixed(1)} ms  p99 ${p.p99.toFixed(1)} ms  max ${p.max.toFixed(0)} ms`;
};

await onScratchWarehouse('duckdb', async (warehouse, dataDir) => {
  const loaded = await loadBenchEvents(warehouse, { from: 0, count: N, total: N, tenants: 100, start: NOW - 30 * DAY_MS, monthMs: 30 * DAY_MS, ingestedAt: new Date(NOW) });
  await warehouse.execute(`UPDATE events SET subject = 'customer-' || (hash(id) % ${SUBJECTS})`);
  await warehouse.execute('CHECKPOINT');
  const file = join(dataDir, 'warehouse.duckdb');
  const bytes = (await stat(file)).size;
  const [victim] = await warehouse.query<{ tenant_id: string; subject: string; n: bigint }>(
    'SELECT tenant_id, subject, count(*) AS n FROM events GROUP BY tenant_id, subject ORDER BY n DESC, tenant_id, subject LIMIT 1',
  );
  console.log(`duckdb: ${N.toLocaleString('en')} events over ${SUBJECTS.toLocaleString('en')} subjects loaded in ${loaded.toFixed(1)} s; file ${(bytes / 1e6).toFixed(0)} MB; erasing ${victim!.subject} of ${victim!.tenant_id} (${Number(victim!.n)} events)`);

  const [, copySeconds] = await timed(() => copyFile(file, `${file}.copy`));
  await rm(`${file}.copy`);
  const idle = await insertsDuring(warehouse, () => new Promise((resolve) => setTimeout(resolve, 3000)));
  let deleteSeconds = 0;
  let reclaim = { rowsRewritten: 0, blocksScrubbed: 0, seconds: 0, scrubSeconds: 0 };
  const during = await insertsDuring(warehouse, async () => {
    [, deleteSeconds] = await timed(() => warehouse.deleteWhere('events', 'tenant_id = ? AND subject = ?', [victim!.tenant_id, victim!.subject]));
    reclaim = await warehouse.reclaim(['events']);
  });
  const [left] = await warehouse.query<{ n: bigint }>('SELECT count(*) AS n FROM events WHERE tenant_id = ? AND subject = ?', [victim!.tenant_id, victim!.subject]);
  if (Number(left!.n) !== 0) throw new Error(`${left!.n} events of the subject are left`);

  const mbps = (seconds: number) => (bytes / 1e6 / seconds).toFixed(0);
  console.log(`  file copy (baseline):      ${copySeconds.toFixed(2)} s = ${mbps(copySeconds)} MB/s`);
  console.log(`  delete the subject's rows: ${deleteSeconds.toFixed(2)} s`);
  console.log(`  reclaim storage:           ${reclaim.seconds.toFixed(2)} s = ${mbps(reclaim.seconds)} MB/s, ${Math.round(reclaim.rowsRewritten / reclaim.seconds).toLocaleString('en')} rows/s rewritten, ${reclaim.blocksScrubbed} free blocks overwritten in ${reclaim.scrubSeconds.toFixed(2)} s`);
  console.log(`  reclaim / file copy time:  ${(reclaim.seconds / copySeconds).toFixed(1)}×`);
  console.log(line('  inserts before', idle));
  console.log(line('  inserts during the erasure', during));
});
