import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findClickHouseServer, startLocalClickHouse, type LocalClickHouse } from '../dev/clickhouse/local-server.ts';
import { findKcat, startMockKafka, type MockKafkaCluster } from '../dev/kafka/mock-cluster.ts';
import { killAllCliProcesses, startPlatform, TempDirs } from './support/cli.ts';
import { cloudEvent } from './support/events.ts';
import { waitFor } from './support/wait-for.ts';

async function produce(brokers: string, topic: string, ids: string[]): Promise<void> {
  const producer = new Kafka({ clientId: 'shutdown-test', brokers: [brokers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: ids.map((id) => ({ key: 'k', value: JSON.stringify(cloudEvent({ id, tenantid: 'summit-internal' })) })) });
  } finally {
    await producer.disconnect();
  }
}

/**
 * A TCP forwarder to `target` that can turn into a black hole: connections stay
 * open and nothing ever answers, as when a server's host drops off the network
 * (a stopped server refuses at once; this one makes clients wait).
 */
async function partitionableProxy(target: URL): Promise<{ url: string; partition(): void; close(): void }> {
  const clients = new Set<Socket>();
  const upstreams = new Set<Socket>();
  let partitioned = false;
  const server = createServer((client) => {
    clients.add(client);
    client.on('error', () => {});
    client.once('close', () => clients.delete(client));
    if (partitioned) return void client.resume();
    const upstream = connect(Number(target.port), target.hostname);
    upstreams.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => upstreams.delete(upstream));
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    partition() {
      partitioned = true;
      for (const upstream of upstreams) {
        upstream.unpipe();
        upstream.destroy();
      }
      for (const client of clients) {
        client.unpipe();
        client.resume();
      }
    },
    close() {
      for (const socket of [...clients, ...upstreams]) socket.destroy();
      server.close();
    },
  };
}

/**
 * `companyos start` on a ClickHouse server and a Kafka cluster of its own, both
 * taken away while it works (ClickHouse cut off the network, Kafka stopped):
 * SIGTERM still ends it within 10 s.
 */
describe.runIf(findClickHouseServer() && findKcat())('SIGTERM when the engines have gone away', () => {
  const temp = new TempDirs();
  let clickhouse: LocalClickHouse;
  let kafka: MockKafkaCluster;
  let network: Awaited<ReturnType<typeof partitionableProxy>>;
  beforeAll(async () => {
    [clickhouse, kafka] = await Promise.all([startLocalClickHouse(findClickHouseServer()!), startMockKafka(findKcat()!)]);
    network = await partitionableProxy(new URL(clickhouse.url));
  }, 90_000);
  afterEach(killAllCliProcesses);
  afterAll(async () => {
    network?.close();
    await Promise.all([clickhouse?.stop(), kafka?.stop()]);
    await temp.removeAll();
  });

  it('stops within 10 s while ClickHouse hangs every call and the Kafka brokers are gone', { timeout: 120_000 }, async () => {
    const topic = `shutdown-${randomUUID().slice(0, 8)}`;
    const platform = await startPlatform(await temp.make(), ['--no-seed'], {
      env: {
        COMPANYOS_WAREHOUSE: 'clickhouse',
        COMPANYOS_CLICKHOUSE_URL: network.url,
        COMPANYOS_CLICKHOUSE_DATABASE: `shutdown_${randomUUID().slice(0, 8)}`,
        COMPANYOS_KAFKA_BROKERS: kafka.brokers,
        COMPANYOS_KAFKA_TOPICS: topic,
        COMPANYOS_KAFKA_GROUP: `g-${topic}`,
        COMPANYOS_LOG_LEVEL: 'debug', // "incoming request" lines tell when a request is in
      },
      timeoutMs: 60_000,
    });
    const stored = async () => {
      const response = await fetch(`${platform.url}/v1/events/stats`, { headers: { authorization: `Bearer ${platform.token}` } });
      return response.ok ? ((await response.json()) as { total: number }).total : -1;
    };
    await produce(kafka.brokers, topic, ['before']);
    await waitFor(async () => (await stored()) === 1, 'the consumer to land the first event', 60_000);

    network.partition();
    await produce(kafka.brokers, topic, ['during-1', 'during-2']);
    // The consumer's next batch now waits on ClickHouse; so does a read in flight, and the decision it leaves to flush.
    const incoming = () => platform.stdout().split('\n').filter((line) => line.includes('incoming request') && line.includes('/v1/events/stats')).length;
    const before = incoming();
    void stored().catch(() => undefined);
    await waitFor(async () => incoming() > before, 'the read to reach the server', 10_000);
    await kafka.stop();

    const signalled = performance.now();
    const exit = await platform.stop('SIGTERM');
    const tookMs = performance.now() - signalled;
    expect(exit.signal, `stdout:\n${platform.stdout().slice(-3000)}`).toBeNull();
    expect(tookMs).toBeLessThan(10_000);
    // Whatever it gave up on, it said so.
    if (exit.code !== 0) expect(platform.stdout()).toContain('shutdown: ');
  });
});
