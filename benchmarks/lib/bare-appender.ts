import { join } from 'node:path';
import { DuckDBDataChunk, DuckDBInstance, DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import type { ScratchWarehouse } from '../../dev/index.ts';
import { EVENT_COLUMNS, openWarehouse, type SqlValue } from '../../kernel/warehouse/index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';
import { benchmarkRows } from './baseline.ts';
import type { Measurement } from './stats.ts';

/**
 * The engine's own ceiling for the ingest benchmarks: DuckDB's appender writing the same rows into the
 * platform's `events` table, a batch at a time, each batch committed (no dedupe, no validation, no HTTP).
 * Only the appends and commits are timed.
 */
export async function bareAppenderBaseline(target: ScratchWarehouse, events: number, batch: number, tenant: string): Promise<Measurement> {
  const warehouse = await openWarehouse(target.config);
  await migratePlatform(warehouse);
  await warehouse.close();
  const instance = await DuckDBInstance.create(join(target.dataDir, 'warehouse.duckdb'));
  const connection = await instance.connect();
  try {
    const types = (await connection.runAndReadAll(`SELECT ${EVENT_COLUMNS.join(', ')} FROM events LIMIT 0`)).columnTypes();
    const appender = await connection.createAppender('events');
    const batchMs: number[] = [];
    for (let start = 0; start < events; start += batch) {
      const rows = benchmarkRows(start, Math.min(events, start + batch), tenant);
      const started = performance.now();
      const chunk = DuckDBDataChunk.create(types, rows.length);
      chunk.setColumns(types.map((_, column) => rows.map((row) => duckValue(row[column]))));
      appender.appendDataChunk(chunk);
      appender.flushSync();
      batchMs.push(performance.now() - started);
    }
    appender.closeSync();
    const stored = Number((await connection.runAndReadAll('SELECT count(*) AS stored FROM events')).getRows()[0]?.[0]);
    if (stored !== events) throw new Error(`the bare appender stored ${stored} of ${events} rows`);
    return { name: 'bare DuckDB appender (same rows)', events, seconds: batchMs.reduce((a, b) => a + b, 0) / 1000, batchMs };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await target.dispose();
  }
}

function duckValue(value: SqlValue | undefined): DuckDBValue {
  if (value instanceof Date) return new DuckDBTimestampValue(BigInt(value.getTime()) * 1000n);
  return (value ?? null) as DuckDBValue;
}

/** What parsing the request bodies alone costs: `JSON.parse` of each, in this process. */
export function jsonParseBaseline(bodies: readonly Buffer[], events: number): Measurement {
  const batchMs: number[] = [];
  for (const body of bodies) {
    const started = performance.now();
    const parsed = JSON.parse(body.toString('utf8')) as unknown[];
    batchMs.push(performance.now() - started);
    if (!Array.isArray(parsed)) throw new Error('a body is not an array');
  }
  return { name: 'JSON.parse of the bodies only', events, seconds: batchMs.reduce((a, b) => a + b, 0) / 1000, batchMs };
}
