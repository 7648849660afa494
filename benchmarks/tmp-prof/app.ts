import { join } from 'node:path';
import { DuckDBDataChunk, DuckDBInstance, DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import { scratchWarehouse } from '../../dev/index.ts';
import { EVENT_COLUMNS, openWarehouse, type SqlValue } from '../../kernel/warehouse/index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';
import { benchmarkRows } from '../lib/baseline.ts';

const duckValue = (value: SqlValue | undefined): DuckDBValue => value instanceof Date ? new DuckDBTimestampValue(BigInt(value.getTime()) * 1000n) : (value ?? null) as DuckDBValue;
const N = 200_000, BATCH = 1000;
for (const every of [1, 1, 4, 16, 200]) {
  const target = await scratchWarehouse('duckdb');
  const w = await openWarehouse(target.config); await migratePlatform(w); await w.close();
  const instance = await DuckDBInstance.create(join(target.dataDir, 'warehouse.duckdb'));
  const c = await instance.connect();
  const types = (await c.runAndReadAll(`SELECT ${EVENT_COLUMNS.join(', ')} FROM events LIMIT 0`)).columnTypes();
  const app = await c.createAppender('events');
  const batches = [] as SqlValue[][][];
  for (let s = 0; s < N; s += BATCH) batches.push(benchmarkRows(s, s + BATCH, 'acme'));
  let chunkMs = 0, appendMs = 0, flushMs = 0;
  const t0 = performance.now();
  batches.forEach((rows, i) => {
    let t = performance.now();
    const chunk = DuckDBDataChunk.create(types, rows.length);
    chunk.setColumns(types.map((_, col) => rows.map((r) => duckValue(r[col]))));
    chunkMs += performance.now() - t; t = performance.now();
    app.appendDataChunk(chunk);
    appendMs += performance.now() - t; t = performance.now();
    if ((i + 1) % every === 0) app.flushSync();
    flushMs += performance.now() - t;
  });
  app.flushSync();
  const s = (performance.now() - t0) / 1000;
  console.log(`flush every ${every} batches: ${Math.round(N / s)} rows/s; chunk ${chunkMs.toFixed(0)} ms, append ${appendMs.toFixed(0)} ms, flush ${flushMs.toFixed(0)} ms`);
  app.closeSync(); c.closeSync(); instance.closeSync(); await target.dispose();
}
