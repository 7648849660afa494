import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findClickHouseServer, startLocalClickHouse, type LocalClickHouse } from '../../../dev/clickhouse/local-server.ts';
import { cloudEvent } from '../../../test/support/events.ts';
import { kafkaBrokers, produce, uniqueTopic } from '../../../test/support/kafka.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import { ClickHouseWarehouse, migrateWarehouse } from '../../../kernel/warehouse/index.ts';
import { IngestPipeline } from '../pipeline.ts';
import { KafkaIngestConsumer } from './kafka-consumer.ts';

/** The outage the shared server cannot give: a ClickHouse server of its own, stopped and started again. */
describe.runIf(inject('kafkaBrokers') && inject('clickhouseUrl'))('Kafka consumer while ClickHouse is stopped', () => {
  let server: LocalClickHouse;
  beforeAll(async () => {
    server = await startLocalClickHouse(findClickHouseServer()!);
  });
  afterAll(() => server?.stop());

  it('retries with backoff while the server is down, then lands every event once', { timeout: 90_000 }, async () => {
    const warehouse = await ClickHouseWarehouse.open({ url: server.url, database: 'outage' });
    await migrateWarehouse(warehouse);
    const count = async () => (await warehouse.query<{ n: number }>('SELECT count(*) AS n FROM events FINAL'))[0]!.n;
    const topic = uniqueTopic();
    const retries: unknown[] = [];
    // Screened on a worker thread, as the platform does on more than one core.
    const pipeline = new IngestPipeline(warehouse, { screenOnWorker: true });
    const consumer = new KafkaIngestConsumer(pipeline, {
      brokers: [kafkaBrokers()],
      topics: [topic],
      groupId: `g-${topic}`,
      submitter: 'acme',
      sessionTimeoutMs: 6_000,
      backoff: { initialMs: 100, maxMs: 1_000 },
      onRetry: (error) => retries.push(error),
    });
    try {
      await produce(topic, [JSON.stringify(cloudEvent({ id: 'before' }))]);
      await consumer.start();
      await waitFor(async () => (await count()) === 1, 'the first event');

      await server.kill();
      await produce(topic, Array.from({ length: 10 }, (_, i) => JSON.stringify(cloudEvent({ id: `during-${i}` }))));
      await waitFor(async () => retries.length >= 3, 'retries while ClickHouse is down', 30_000);
      await server.restart();
      await waitFor(async () => (await count()) === 11, 'the events written during the outage', 30_000);
      expect(String(retries[0])).toMatch(/ClickHouse failed/);
    } finally {
      await consumer.stop();
      await pipeline.close();
      await warehouse.close();
    }
  });
});
