import { afterAll, beforeAll, inject } from 'vitest';
import { findClickHouseServer, startLocalClickHouseCluster, startLocalZooKeeper, type LocalClickHouseCluster, type LocalZooKeeper } from '../../dev/index.ts';

/** Whether this run can start a ClickHouse cluster: the test setup found a ClickHouse server and ZooKeeper. */
export function clusterAvailable(): boolean {
  return Boolean(inject('clickhouseUrl') && inject('zookeeperJar'));
}

/**
 * ZooKeeper and a 2 shards × 2 replicas ClickHouse cluster on loopback for the suite calling this (first, so the
 * suite's own hooks find it started and are done with it before it stops: vitest runs after-hooks in reverse).
 */
export function useClickHouseCluster(): { readonly cluster: LocalClickHouseCluster } {
  let zookeeper: LocalZooKeeper | undefined;
  let cluster: LocalClickHouseCluster | undefined;
  beforeAll(async () => {
    zookeeper = await startLocalZooKeeper(inject('zookeeperJar')!);
    cluster = await startLocalClickHouseCluster(findClickHouseServer()!, zookeeper);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await zookeeper?.stop();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the ClickHouse cluster is not started (outside the suite, or its start failed)');
      return cluster;
    },
  };
}
