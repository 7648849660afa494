import type { ScratchWarehouse } from '../../dev/index.ts';
import { normalizeEvent } from '../../platform/ingest/index.ts';
import { EVENT_COLUMNS, openWarehouse, type EngineName, type SqlValue } from '../../kernel/warehouse/index.ts';
import { benchmarkEvent } from './events.ts';
import type { Measurement } from './stats.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';

/**
 * The ceiling every ingest path is compared against: the same events, already
 * turned into rows, written straight through the warehouse adapter
 * (`insertUnique`, one batch at a time). Only the writes are timed.
 */
export async function directAdapterBaseline(
  engine: EngineName,
  target: ScratchWarehouse,
  events: number,
  batch: number,
  tenant: string,
): Promise<Measurement> {
  const warehouse = await openWarehouse(target.config);
  await migratePlatform(warehouse);
  const unique = { table: 'events', columns: EVENT_COLUMNS, key: ['tenant_id', 'source', 'id'], windowColumn: 'ingested_at', windowDays: 35 };
  const batchMs: number[] = [];
  let inserted = 0;
  for (let start = 0; start < events; start += batch) {
    const rows = benchmarkRows(start, Math.min(events, start + batch), tenant);
    const started = performance.now();
    inserted += (await warehouse.insertUnique(unique, rows)).inserted;
    batchMs.push(performance.now() - started);
  }
  await warehouse.close();
  await target.dispose();
  if (inserted !== events) throw new Error(`baseline stored ${inserted} of ${events} events`);
  return { name: `direct adapter (${engine})`, events, seconds: batchMs.reduce((a, b) => a + b, 0) / 1000, batchMs };
}

/** The `events` rows of benchmark events `from` to `to` (exclusive), as the ingest pipeline would write them now. */
export function benchmarkRows(from: number, to: number, tenant: string): SqlValue[][] {
  const now = new Date();
  const rows: SqlValue[][] = [];
  for (let i = from; i < to; i++) {
    const normalized = normalizeEvent(benchmarkEvent(i, tenant), 'bench', now);
    if (!normalized.ok) throw new Error(normalized.message);
    rows.push(normalized.row);
  }
  return rows;
}
