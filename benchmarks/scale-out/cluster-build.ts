import { ensureClickHouseServer, ensureZooKeeper, scratchWarehouse, startLocalClickHouseCluster, startLocalZooKeeper } from '../../dev/index.ts';
import { openWarehouse } from '../../kernel/warehouse/index.ts';
import { MODEL_GENERATORS } from '../../packs/index.ts';
import { TENANT_ZERO } from '../../platform/tenancy/index.ts';
import { buildProject } from '../../platform/transforms/index.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';
import { timed } from '../lib/stats.ts';
import { loadBenchEvents } from '../lib/warehouse-events.ts';

export interface ClusterBuildResult {
  events: number;
  newEvents: number;
  fullSeconds: number;
  /** An incremental build right after the full one, with nothing new: what a build costs when it has nothing to do. */
  idleSeconds: number;
  incrementalSeconds: number;
  /** Models the incremental build left as they were (their definition and inputs unchanged), of all. */
  unchangedIncremental: number;
  models: number;
  /** One grouped scan of the raw events through the Distributed table: the least a build must read. */
  scanSeconds: number;
  slowestIncremental: string;
}

const START = Date.UTC(2026, 9, 1);
const MONTH_MS = 30 * 86_400_000;

/**
 * The shipped models on a 2 × 2 ClickHouse cluster with ZooKeeper (as the tests start it): a full build over
 * `events` bench events for `tenants` tenants, an incremental one with nothing new, then one after `newEvents` more
 * (99% in the hour after the month, 1% late across it, as `bench:transforms` loads them).
 */
export async function measureClusterBuild(events: number, newEvents: number, tenants: number): Promise<ClusterBuildResult> {
  const zookeeperJar = ensureZooKeeper((line) => console.log(line));
  if ('missing' in zookeeperJar) throw new Error(`the cluster build needs ZooKeeper: ${zookeeperJar.missing}`);
  const clickhouse = ensureClickHouseServer((line) => console.log(line));
  if ('missing' in clickhouse) throw new Error(`the cluster build needs ClickHouse: ${clickhouse.missing}`);
  const zookeeper = await startLocalZooKeeper(zookeeperJar.binary);
  try {
    const cluster = await startLocalClickHouseCluster(clickhouse.binary, zookeeper);
    try {
      const scratch = await scratchWarehouse('clickhouse', cluster.nodes[0]!.url);
      const warehouse = await openWarehouse({ ...scratch.config, clickhouse: { ...scratch.config.clickhouse!, cluster: cluster.name } });
      try {
        await migratePlatform(warehouse);
        const load = (from: number, count: number, ingestedAt: Date) =>
          loadBenchEvents(warehouse, { from, count, total: events, tenants, start: START, monthMs: MONTH_MS, ingestedAt, stampedAfterTime: true });
        await load(0, events, new Date(START + MONTH_MS));
        const [, scanSeconds] = await timed(() => warehouse.query('SELECT type, tenant_id, count(*) AS n FROM events GROUP BY type, tenant_id'));
        const build = (fullRefresh: boolean) =>
          timed(() => buildProject(warehouse, { generators: MODEL_GENERATORS, modelsDir: 'models', targetDir: `${scratch.dataDir}/target`, fullRefresh, tenant: TENANT_ZERO, trigger: 'cli' }));
        const [full, fullSeconds] = await build(true);
        const failed = full.results.filter((r) => r.status !== 'success');
        if (failed.length) throw new Error(`full build on the cluster failed: ${failed.map((r) => `${r.model}: ${r.message}`).join('; ')}`);
        const [, idleSeconds] = await build(false);
        await load(events, newEvents, new Date(START + MONTH_MS + 2 * 3_600_000));
        const [incremental, incrementalSeconds] = await build(false);
        const slowestIncremental = [...incremental.results].sort((a, b) => b.seconds - a.seconds).slice(0, 4).map((r) => `${r.model} ${r.seconds.toFixed(2)} s`).join(', ');
        const unchangedIncremental = incremental.results.filter((r) => r.reused).length;
        return { events, newEvents, fullSeconds, idleSeconds, incrementalSeconds, unchangedIncremental, models: incremental.results.length, scanSeconds, slowestIncremental };
      } finally {
        await warehouse.close();
        await scratch.dispose();
      }
    } finally {
      await cluster.stop();
    }
  } finally {
    await zookeeper.stop();
  }
}
