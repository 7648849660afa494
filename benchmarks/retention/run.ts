/**
 * The retention run's expiry: N events over T tenants, half ingested 60 days before "now" and half
 * 10 days before, expired with a 30-day raw-events window (count per tenant, then delete, table by
 * table). Baseline in the same run: one plain DELETE of the same rows from a copy of the table —
 * what any expiry must at least do.
 *
 *   npm run bench:retention -- [--warehouse duckdb,clickhouse] [--events 2000000] [--tenants 100]
 *
 * Figures: rows deleted per second by the expiry and by the plain DELETE, and their ratio.
 */
import { parseArgs } from 'node:util';
import type { EngineName, Warehouse } from '../../kernel/warehouse/index.ts';
import { expireRows } from '../../platform/retention/index.ts';
import { platformTables } from '../../surfaces/compose/index.ts';
import { timed } from '../lib/stats.ts';
import { onScratchWarehouse, parseEngines } from '../lib/targets.ts';
import { loadBenchEvents } from '../lib/warehouse-events.ts';

const { values: args } = parseArgs({
  options: {
    warehouse: { type: 'string', default: 'duckdb' },
    events: { type: 'string', default: '2000000' },
    tenants: { type: 'string', default: '100' },
  },
});
const N = Number(args.events);
const TENANTS = Number(args.tenants);
const DAY_MS = 86_400_000;
const NOW = new Date(Date.UTC(2026, 11, 1));
const START = NOW.getTime() - 90 * DAY_MS;
const WINDOWS = { 'raw-events': 30, quarantine: null, bills: null, 'run-history': null, 'decision-log': null, evidence: null, audit: null, 'financial-record': null } as const;

async function copyEvents(warehouse: Warehouse, engine: EngineName): Promise<void> {
  if (engine === 'clickhouse') {
    await warehouse.execute('CREATE TABLE events_copy AS events');
    await warehouse.execute('INSERT INTO events_copy SELECT * FROM events');
  } else {
    await warehouse.execute('CREATE TABLE events_copy AS SELECT * FROM events');
  }
}

for (const engine of parseEngines(args.warehouse)) {
  await onScratchWarehouse(engine, async (warehouse) => {
    const spec = { count: N / 2, total: N, tenants: TENANTS, start: START, monthMs: 30 * DAY_MS };
    const loadOld = await loadBenchEvents(warehouse, { ...spec, from: 0, ingestedAt: new Date(NOW.getTime() - 60 * DAY_MS) });
    const loadNew = await loadBenchEvents(warehouse, { ...spec, from: N / 2, ingestedAt: new Date(NOW.getTime() - 10 * DAY_MS) });
    await copyEvents(warehouse, engine);
    console.log(`${engine}: loaded ${N.toLocaleString('en')} events over ${TENANTS} tenants in ${(loadOld + loadNew).toFixed(1)} s`);

    const cutoff = new Date(NOW.getTime() - 30 * DAY_MS);
    const [, baselineSeconds] = await timed(() => warehouse.deleteWhere('events_copy', 'ingested_at < ?', [cutoff]));
    const [tombstones, expirySeconds] = await timed(() => expireRows(warehouse, platformTables(), WINDOWS, NOW));
    const deleted = tombstones.reduce((n, t) => n + t.rows, 0);
    const [left] = await warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events');
    if (deleted !== N / 2 || Number(left!.n) !== N / 2) throw new Error(`expected ${N / 2} deleted and ${N / 2} left; got ${deleted} and ${left!.n}`);

    const rate = (seconds: number) => Math.round(deleted / seconds).toLocaleString('en');
    console.log(`  plain DELETE (baseline): ${deleted.toLocaleString('en')} rows in ${baselineSeconds.toFixed(2)} s = ${rate(baselineSeconds)} rows/s`);
    console.log(`  retention expiry:        ${deleted.toLocaleString('en')} rows in ${expirySeconds.toFixed(2)} s = ${rate(expirySeconds)} rows/s, ${tombstones.length} tombstones`);
    console.log(`  expiry / baseline time:  ${(expirySeconds / baselineSeconds).toFixed(2)}×`);
  });
}
