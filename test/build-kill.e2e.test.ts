import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../kernel/schemas/index.ts';
import { openWarehouse, type Warehouse, type WarehouseConfig } from '../kernel/warehouse/index.ts';
import { IngestPipeline } from '../platform/ingest/index.ts';
import { meterModelName, parseMeters, tenantZeroWeek } from '../packs/metering/index.ts';
import { migratePlatform } from '../surfaces/compose/index.ts';
import { onServer } from './support/clickhouse-server.ts';
import { clusterAvailable, useClickHouseCluster } from './support/clickhouse-cluster.ts';
import { killAllCliProcesses, runCli, spawnCli, TempDirs } from './support/cli.ts';
import { expectedMeterRows, meterRowLines } from './support/meter-oracle.ts';

afterEach(async () => {
  await killAllCliProcesses();
});

const PROGRESS = /^ *\d+\/\d+ (OK|ERROR|SKIP) /gm;

/** Where the killed builds run: the CLI's settings for it, and how the test opens the same warehouse. */
interface Target {
  env: Record<string, string>;
  config(dataDir: string): WarehouseConfig;
  /** Staged or retired tables still there once the last build is done (on every server of a cluster). */
  leftovers(): Promise<string[]>;
}

async function withWarehouse<T>(config: WarehouseConfig, use: (warehouse: Warehouse) => Promise<T>): Promise<T> {
  const warehouse = await openWarehouse(config);
  try {
    return await use(warehouse);
  } finally {
    await warehouse.close();
  }
}

/**
 * Builds killed after 2, 11 and 20 of the 31 models and seeds were done (three others in flight each time: selecting,
 * merging, testing, swapping), new events arriving before each; then a build to the end must count every event once.
 */
async function killBuildsThenFinish(target: Target, dataDir: string): Promise<void> {
  const config = target.config(dataDir);
  const ingest = (events: readonly CloudEvent[]) =>
    withWarehouse(config, async (warehouse) => {
      await migratePlatform(warehouse);
      await new IngestPipeline(warehouse).ingest([...events], { channel: 'seed', submitter: 'summit-internal' });
    });
  const week = tenantZeroWeek(new Date('2026-11-22T10:00:00Z')).slice(0, 2400);
  const events = [...week, ...week.slice(0, 600).map((e) => ({ ...e, id: `acme-${e.id}`, tenantid: 'acme' }))];
  const batches = [0, 1, 2, 3].map((i) => events.filter((_, at) => at % 4 === i));
  await ingest(batches[0]!);
  const first = await runCli(['build'], { dataDir, env: target.env, timeoutMs: 120_000 });
  expect(first.code, first.stdout + first.stderr).toBe(0);

  for (const [batch, finished] of [[1, 2], [2, 11], [3, 20]] as const) {
    await ingest(batches[batch]!);
    const child = spawnCli(['build', '--threads', '4'], dataDir, target.env);
    const exited = once(child, 'exit');
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if ((out.match(PROGRESS)?.length ?? 0) >= finished) child.kill('SIGKILL');
    });
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }, out).toEqual({ code: null, signal: 'SIGKILL' });
  }

  const last = await runCli(['build'], { dataDir, env: target.env, timeoutMs: 120_000 });
  expect(last.code, last.stdout + last.stderr).toBe(0);
  expect(last.stdout).toMatch(/ERROR=0 SKIP=0/);
  const { meters } = parseMeters('meters.yaml', await readFile('models/meters.yaml', 'utf8'));
  await withWarehouse(config, async (warehouse) => {
    let counted = 0;
    for (const meter of meters) {
      // Read as the meters' readers do: on ClickHouse a recomputed window may hold its old row until a merge.
      const rows = await warehouse.query(`SELECT * FROM ${warehouse.dialect.deduplicated(meterModelName(meter))}`);
      expect(meterRowLines(meter, rows), meter.name).toEqual(expectedMeterRows(meter, events));
      counted += rows.length;
    }
    expect(counted).toBeGreaterThan(100);
  });
  // What the killed builds staged or retired is gone once the queued drops ran.
  await expect.poll(() => target.leftovers(), { timeout: 60_000, interval: 250 }).toEqual([]);
}

describe('a build killed mid-way (kill -9), four models at once, on DuckDB', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());
  let dataDir = '';

  it('leaves each model as before or after its merge: the next build counts every event once', { timeout: 240_000 }, async () => {
    dataDir = await dirs.make();
    await killBuildsThenFinish({
      env: {},
      config: (dir) => ({ engine: 'duckdb', dataDir: dir }),
      leftovers: () => withWarehouse({ engine: 'duckdb', dataDir }, async (warehouse) =>
        (await warehouse.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE regexp_matches(table_name, '__(new|old|seed_load)')")).map((r) => r.name)),
    }, dataDir);
  });
});

describe.runIf(clusterAvailable())('a build killed mid-way (kill -9), four models at once, on a ClickHouse cluster (2 shards × 2 replicas)', () => {
  const dirs = new TempDirs();
  const started = useClickHouseCluster();
  const database = `kill_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  afterAll(() => dirs.removeAll());

  it('leaves each model as before or after its swap, and what it staged to the next build: every event counted once', { timeout: 300_000 }, async () => {
    const { cluster } = started;
    const url = cluster.nodes[0]!.url;
    await killBuildsThenFinish({
      env: { COMPANYOS_WAREHOUSE: 'clickhouse', COMPANYOS_CLICKHOUSE_URL: url, COMPANYOS_CLICKHOUSE_DATABASE: database, COMPANYOS_CLICKHOUSE_CLUSTER: cluster.name },
      config: (dataDir) => ({ engine: 'clickhouse', dataDir, clickhouse: { url, database, cluster: cluster.name } }),
      leftovers: async () => (await Promise.all(cluster.nodes.map((node) =>
        onServer(node.url, `SELECT name FROM system.tables WHERE database = '${database}' AND match(name, '__(new|old|seed_load)')`)))).flat().map((r) => String(r.name)),
    }, await dirs.make());
  });
});
