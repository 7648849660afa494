import { afterEach, describe, expect, inject, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { cloudEvent } from '../../../test/support/events.ts';
import { kafkaBrokers, produce, readTopic, uniqueTopic } from '../../../test/support/kafka.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import { IngestPipeline } from '../pipeline.ts';
import { KafkaIngestConsumer, type BatchReport } from './kafka-consumer.ts';

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const withData = (id: string, dataJson: string) => JSON.stringify(cloudEvent({ id, data: '__DATA__' })).replace('"__DATA__"', dataJson);

/** Messages that fail for a reason of their own go to the DLQ and quarantine; only a warehouse outage may hold a partition. */
describe.runIf(inject('kafkaBrokers')).each(TEST_ENGINES)('Kafka poison messages into %s', (engine) => {
  const db = useWarehouse(engine);
  const running: KafkaIngestConsumer[] = [];
  const pipelines: IngestPipeline[] = [];
  afterEach(async () => {
    for (const consumer of running.splice(0)) await consumer.stop();
    for (const pipeline of pipelines.splice(0)) await pipeline.close();
  });

  // Screened on a worker thread (as the platform does on more than one core), and on the consumer's own thread.
  it.each([true, false])('dead-letters deep, unstorable and unreadable messages and keeps the partition flowing (screened on a worker: %s)', { timeout: 60_000 }, async (screenOnWorker) => {
    const topic = uniqueTopic();
    const poison = [
      nested(10_000), // JSON nested 10,000 deep
      withData('deep-data', nested(200)), // an event whose data nests 201 deep
      '{not json',
      JSON.stringify(cloudEvent({ id: 'leap', time: '2026-06-30T23:59:60Z' })), // valid RFC 3339, no instant
      JSON.stringify(cloudEvent({ id: 'surrogate', note: 'x\ud800' })), // DuckDB cannot read it as JSON
    ];
    await produce(topic, [JSON.stringify(cloudEvent({ id: 'before' })), ...poison, JSON.stringify(cloudEvent({ id: 'after' }))]);
    const batches: BatchReport[] = [];
    const retries: unknown[] = [];
    const fallbacks: unknown[] = [];
    const pipeline = new IngestPipeline(db.warehouse, { screenOnWorker, onScreenFallback: (error) => fallbacks.push(error) });
    pipelines.push(pipeline);
    const consumer = new KafkaIngestConsumer(pipeline, {
      brokers: [kafkaBrokers()],
      topics: [topic],
      groupId: `group-${topic}`,
      submitter: 'acme',
      backoff: { initialMs: 50, maxMs: 200 },
      sessionTimeoutMs: 6_000,
      onBatch: (report) => batches.push(report),
      onRetry: (error) => retries.push(error),
    });
    running.push(consumer);
    await consumer.start();

    const codes = ['EVENT_TOO_DEEP', 'EVENT_TOO_DEEP', 'EVENT_NOT_JSON', 'EVENT_INVALID_TIME', ...(engine === 'duckdb' ? ['EVENT_NOT_STORABLE'] : [])];
    const storedIds = async () => (await db.warehouse.query<{ id: string }>(`SELECT id FROM ${db.warehouse.dialect.deduplicated('events')} ORDER BY id`)).map((r) => r.id);
    const expected = engine === 'duckdb' ? ['after', 'before'] : ['after', 'before', 'surrogate'];
    await waitFor(async () => (await storedIds()).length === expected.length, 'the valid events around the poison');
    expect(await storedIds()).toEqual(expected);
    const dead = await readTopic(`${topic}.dlq`, codes.length);
    expect(dead.map((m) => m.headers['companyos-reason-code'])).toEqual(codes);
    expect(dead[0]!.value).toBe(poison[0]);
    const parked = await db.warehouse.query<{ reason_code: string }>('SELECT reason_code FROM events_quarantine ORDER BY batch_index');
    expect(parked.map((r) => r.reason_code)).toEqual(codes);
    // Nothing waited: the poison never looked like an outage.
    expect(retries).toEqual([]);
    expect(fallbacks).toEqual([]);
    await waitFor(async () => batches.some((b) => BigInt(b.lastOffset) >= 6n), 'the commit past the poison');
  });
});
