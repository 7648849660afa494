import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findClickHouseServer, startLocalClickHouse, type LocalClickHouse } from '../../dev/clickhouse/local-server.ts';
import { scratchWarehouse, type ScratchWarehouse } from '../../dev/scratch-warehouse.ts';
import { apiHarness, useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { openWarehouse, type EngineName, type Warehouse } from '../../kernel/warehouse/index.ts';
import { API_ERRORS } from './kit/errors.ts';
import { ReadinessProbe } from './readiness.ts';
import { migratePlatform } from '../compose/index.ts';

async function readyz(app: FastifyInstance): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await app.inject('/readyz');
  return { status: response.statusCode, body: response.json() };
}

/** The probe keeps its outcome for a second: wait (bounded) for the answer to become `status`. */
async function until(app: FastifyInstance, status: number): Promise<Record<string, unknown>> {
  await expect.poll(async () => (await readyz(app)).status, { timeout: 15_000, interval: 200 }).toBe(status);
  return (await readyz(app)).body;
}

const probeTableDdl = async (engine: EngineName) =>
  (await readFile(new URL(`../../kernel/warehouse/${engine}/migrations/0006_readiness_probe.sql`, import.meta.url), 'utf8')).replace(/^--.*\n/gm, '');

describe.each(TEST_ENGINES)('/readyz on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  it('is ready only while the warehouse accepts a write, and ready again once it does', async () => {
    expect(await until(server.api.app, 200)).toMatchObject({ status: 'ready', warehouse: engine });
    const [probes] = await db.warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM ${db.warehouse.dialect.deduplicated('readiness_probe')}`);
    expect(Number(probes!.n)).toBe(1);

    // Reads still answer; the write the probe makes is refused.
    await db.warehouse.execute('DROP TABLE readiness_probe');
    expect(await db.warehouse.query('SELECT max(version) AS v FROM schema_migrations')).toHaveLength(1);
    expect(await until(server.api.app, 503)).toEqual({ code: 'WAREHOUSE_UNAVAILABLE', message: API_ERRORS.WAREHOUSE_UNAVAILABLE[1] });

    await db.warehouse.execute(await probeTableDdl(engine));
    expect(await until(server.api.app, 200)).toMatchObject({ status: 'ready' });
  });
});

describe('the readiness probe when the wall clock is set back', () => {
  const db = useWarehouse('duckdb');

  it('keeps an answer for its cache time by the monotonic clock: a day set back does not hold a stale "ready"', async () => {
    const probe = new ReadinessProbe(db.warehouse, { cacheMs: 200, timeoutMs: 5000 });
    await expect(probe.check()).resolves.toBeDefined();
    const realNow = Date.now.bind(Date);
    const setBack = vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 86_400_000);
    try {
      await db.warehouse.execute('DROP TABLE readiness_probe');
      await new Promise((resolve) => setTimeout(resolve, 400));
      await expect(probe.check()).rejects.toThrow();
    } finally {
      setBack.mockRestore();
    }
  });
});

describe('/readyz on a ClickHouse server that goes away and comes back', () => {
  const binary = findClickHouseServer();
  let clickhouse: LocalClickHouse;
  let scratch: ScratchWarehouse;
  let warehouse: Warehouse;
  let app: FastifyInstance;

  beforeAll(async () => {
    if (!binary) return;
    clickhouse = await startLocalClickHouse(binary);
    scratch = await scratchWarehouse('clickhouse', clickhouse.url);
    warehouse = await openWarehouse(scratch.config);
    await migratePlatform(warehouse);
    app = (await apiHarness(warehouse, { state: { dataDir: scratch.dataDir } })).app;
  }, 90_000);
  afterAll(async () => {
    await app?.close();
    await warehouse?.close();
    await clickhouse?.stop();
  });

  it.skipIf(!binary)('answers 503 while the server is down and 200 once it is back', { timeout: 90_000 }, async () => {
    await until(app, 200);
    await clickhouse.kill();
    expect(await until(app, 503)).toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE' });
    await clickhouse.restart();
    expect(await until(app, 200)).toMatchObject({ status: 'ready', warehouse: 'clickhouse' });
  });
});
