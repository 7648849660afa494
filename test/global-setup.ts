import type { TestProject } from 'vitest/node';
import { ensureClickHouseServer, startLocalClickHouse, type LocalClickHouse } from '../dev/index.ts';
import { ensureKcat, startMockKafka, type MockKafkaCluster } from '../dev/index.ts';
import { ensurePostgres, startLocalPostgres, type LocalPostgres } from '../dev/index.ts';
import { ensureHaproxy, ensureZooKeeper } from '../dev/index.ts';
import { useRunScratch } from './support/run-scratch.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** HTTP URL of the ClickHouse server the suites run against, or null when it is unavailable. */
    clickhouseUrl: string | null;
    /** Why the ClickHouse suites are skipped, when they are. */
    clickhouseSkipReason: string | null;
    /** The data folder of the ClickHouse server this run started (null for one given by URL). */
    clickhouseDataPath: string | null;
    /** Bootstrap address of the Kafka mock cluster, or null when it is unavailable. */
    kafkaBrokers: string | null;
    kafkaSkipReason: string | null;
    /** A throwaway PostgreSQL cluster's URL (the state store's scale-out adapter), or null when it is unavailable. */
    postgresUrl: string | null;
    postgresSkipReason: string | null;
    /** ZooKeeper's server jar (a ClickHouse cluster's coordinator; the suites start their own), or null when it is unavailable. */
    zookeeperJar: string | null;
    zookeeperSkipReason: string | null;
    /** HAProxy (the scale-out profile's load balancer; the suites start their own), or null when it is unavailable. */
    haproxyBinary: string | null;
    haproxySkipReason: string | null;
  }
}

/**
 * Provides the real engines for the whole run: a ClickHouse server on loopback
 * (COMPANYOS_TEST_CLICKHOUSE_URL to use one already running), a Kafka mock
 * cluster through kcat and a throwaway PostgreSQL cluster (initdb), and installs ZooKeeper for the
 * suites that start a ClickHouse cluster, and HAProxy for those that put API replicas behind it. Without a binary and without root the suites needing it
 * are skipped with the reason; under CI a missing engine fails the run. Temporary files of the whole run go
 * under one folder (`TMPDIR`), removed at its end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scratch = await useRunScratch();
  let server: LocalClickHouse | undefined;
  let url = process.env.COMPANYOS_TEST_CLICKHOUSE_URL || null;
  let skipReason: string | null = null;
  if (!url) {
    const found = ensureClickHouseServer((line) => console.log(line));
    if ('missing' in found) {
      skipReason = found.missing;
    } else {
      server = await startLocalClickHouse(found.binary);
      url = server.url;
    }
  }
  let kafka: MockKafkaCluster | undefined;
  const kcat = ensureKcat((line) => console.log(line));
  const kafkaSkipReason = 'missing' in kcat ? kcat.missing : null;
  if (!('missing' in kcat)) kafka = await startMockKafka(kcat.binary);

  let postgres: LocalPostgres | undefined;
  const postgresBin = ensurePostgres((line) => console.log(line));
  const postgresSkipReason = 'missing' in postgresBin ? postgresBin.missing : null;
  if (!('missing' in postgresBin)) postgres = await startLocalPostgres(postgresBin.binary);

  const zookeeper = ensureZooKeeper((line) => console.log(line));
  const zookeeperSkipReason = 'missing' in zookeeper ? zookeeper.missing : null;
  const haproxy = ensureHaproxy((line) => console.log(line));
  const haproxySkipReason = 'missing' in haproxy ? haproxy.missing : null;

  const ci = ['true', '1'].includes(process.env.CI ?? '');
  const engines = [['ClickHouse', skipReason], ['Kafka', kafkaSkipReason], ['PostgreSQL', postgresSkipReason], ['ZooKeeper', zookeeperSkipReason], ['HAProxy', haproxySkipReason]] as const;
  for (const [engine, reason] of engines) {
    if (reason && ci) throw new Error(`CI=true and the ${engine} engine is unavailable: ${reason}`);
    if (reason) console.warn(`\n${engine} suites are skipped: ${reason}\n`);
  }
  project.provide('clickhouseUrl', url);
  project.provide('clickhouseSkipReason', skipReason);
  project.provide('clickhouseDataPath', server?.dataPath ?? null);
  project.provide('kafkaBrokers', kafka?.brokers ?? null);
  project.provide('kafkaSkipReason', kafkaSkipReason);
  project.provide('postgresUrl', postgres?.url ?? null);
  project.provide('postgresSkipReason', postgresSkipReason);
  project.provide('zookeeperJar', 'missing' in zookeeper ? null : zookeeper.binary);
  project.provide('zookeeperSkipReason', zookeeperSkipReason);
  project.provide('haproxyBinary', 'missing' in haproxy ? null : haproxy.binary);
  project.provide('haproxySkipReason', haproxySkipReason);
  return async () => {
    // Each server stopped even when another fails to, before their folders go.
    const stopped = await Promise.allSettled([postgres?.stop(), kafka?.stop(), server?.stop()]);
    await scratch.remove();
    const failed = stopped.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  };
}
