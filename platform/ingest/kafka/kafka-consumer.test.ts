import { randomUUID } from 'node:crypto';
import { KafkaJSNonRetriableError } from 'kafkajs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { cloudEvent } from '../../../test/support/events.ts';
import { kafkaBrokers, produce, readTopic, uniqueTopic } from '../../../test/support/kafka.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import { IngestPipeline } from '../pipeline.ts';
import { KafkaIngestConsumer, type BatchReport, type KafkaConsumerOptions } from './kafka-consumer.ts';

/** Takes a table away and gives it back: a real engine refusing writes, on either engine. */
const RENAME = {
  duckdb: (from: string, to: string) => `ALTER TABLE ${from} RENAME TO ${to}`,
  clickhouse: (from: string, to: string) => `RENAME TABLE ${from} TO ${to}`,
};

describe.runIf(inject('kafkaBrokers')).each(TEST_ENGINES)('Kafka consumer into %s', (engine) => {
  const db = useWarehouse(engine);
  const running: KafkaIngestConsumer[] = [];
  const pipelines: IngestPipeline[] = [];
  /** Failures of the screening thread: none may happen, or a test would pass on the fallback alone. */
  const fallbacks: unknown[] = [];
  afterEach(async () => {
    for (const consumer of running.splice(0)) await consumer.stop();
    for (const pipeline of pipelines.splice(0)) await pipeline.close();
    expect(fallbacks.splice(0)).toEqual([]);
  });

  async function consume(topic: string, overrides: Partial<KafkaConsumerOptions> = {}) {
    const batches: BatchReport[] = [];
    const retries: unknown[] = [];
    // Screened on a worker thread, as the platform does on more than one core (kafka-poison.test.ts runs both ways).
    const pipeline = new IngestPipeline(db.warehouse, { screenOnWorker: true, onScreenFallback: (error) => fallbacks.push(error) });
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
      ...overrides,
    });
    running.push(consumer);
    await consumer.start();
    return { consumer, batches, retries };
  }
  const stored = async () => (await db.warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM ${db.warehouse.dialect.deduplicated('events')}`))[0]!.n;
  const events = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => JSON.stringify(cloudEvent({ id: `${prefix}-${i}` })));

  it('lands every event once and commits, so a restarted consumer gets nothing again', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic();
    await produce(topic, [...events(50), ...events(5)]);
    const first = await consume(topic);
    await waitFor(async () => (await stored()) === 50 && first.batches.reduce((n, b) => n + b.result.duplicates, 0) === 5, '50 events');
    await first.consumer.stop();
    const again = await consume(topic);
    await produce(topic, events(1, 'later'));
    const seen = () => again.batches.reduce((n, b) => n + b.result.accepted + b.result.duplicates, 0);
    // The row is visible a moment before the consumer reports its batch: wait for both.
    await waitFor(async () => (await stored()) === 51 && seen() >= 1, 'the later event');
    expect(seen()).toBe(1);
  });

  it('sends poison messages to the DLQ with their reason and keeps the partition flowing', async () => {
    const topic = uniqueTopic();
    const poison = ['{not json', JSON.stringify(cloudEvent({ id: 'big', data: 'x'.repeat(5000) })), JSON.stringify({ foo: 1 })];
    await produce(topic, [JSON.stringify(cloudEvent({ id: 'before' })), ...poison, JSON.stringify(cloudEvent({ id: 'after' }))]);
    await consume(topic, { maxMessageBytes: 4096 });
    await waitFor(async () => (await stored()) === 2, 'the two valid events around the poison');
    const dead = await readTopic(`${topic}.dlq`, 3);
    expect(dead.map((m) => m.headers['companyos-reason-code'])).toEqual(['EVENT_NOT_JSON', 'EVENT_TOO_LARGE', 'EVENT_MISSING_SPECVERSION']);
    expect(dead.map((m) => m.value)).toEqual(poison);
    expect(dead[0]!.headers).toMatchObject({ 'companyos-source-topic': topic, 'companyos-source-offset': '1' });
    const parked = await db.warehouse.query('SELECT reason_code FROM events_quarantine ORDER BY batch_index');
    expect(parked.map((r) => r.reason_code)).toEqual(['EVENT_NOT_JSON', 'EVENT_TOO_LARGE', 'EVENT_MISSING_SPECVERSION']);
  });

  it('makes a new consumer when kafkajs stops its own for good (a non-retriable error, as SyncGroup\'s error 42 is) and goes on', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic();
    await produce(topic, events(5, 'before'));
    const recreated: unknown[] = [];
    let crashed = false;
    await consume(topic, {
      onBatch: () => {
        if (crashed) return;
        crashed = true;
        throw new KafkaJSNonRetriableError('The request was malformed (INVALID_REQUEST, error 42)');
      },
      onRecreate: (error) => recreated.push(error),
    });
    await waitFor(async () => (await stored()) === 5 && recreated.length > 0, 'the first batch and the crash');
    await produce(topic, events(5, 'after'));
    await waitFor(async () => (await stored()) === 10, 'the events sent after the crash');
    expect(recreated.map((e) => (e as Error).message)).toEqual(['The request was malformed (INVALID_REQUEST, error 42)']);
  });

  it('counts a replay of the same offsets once', async () => {
    const topic = uniqueTopic();
    await produce(topic, events(20));
    await consume(topic);
    await waitFor(async () => (await stored()) === 20, '20 events');
    const replay = await consume(topic, { groupId: `replay-${randomUUID()}` });
    await waitFor(async () => replay.batches.reduce((n, b) => n + b.result.duplicates, 0) === 20, 'the replay');
    expect(replay.batches.reduce((n, b) => n + b.result.accepted, 0)).toBe(0);
    expect(await stored()).toBe(20);
  });

  it('waits out a warehouse outage, commits nothing unwritten, and loses nothing', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic();
    await db.warehouse.execute(RENAME[engine]('events', 'events_offline'));
    await produce(topic, events(10));
    const during = await consume(topic);
    await waitFor(async () => during.retries.length >= 2, 'retries while the warehouse refuses writes');
    // Stopped mid-outage: nothing was written, so nothing may have been committed.
    await during.consumer.stop();
    await db.warehouse.execute(RENAME[engine]('events_offline', 'events'));
    const after = await consume(topic);
    const accepted = () => after.batches.reduce((n, b) => n + b.result.accepted, 0);
    await waitFor(async () => (await stored()) === 10 && accepted() >= 10, 'the 10 events after the outage');
    expect(accepted()).toBe(10);
  });

  it('stamps a batch written after an outage as received when written, and parks its invalid events once', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic();
    await db.warehouse.execute(RENAME[engine]('events', 'events_offline'));
    await produce(topic, [...events(5, 'late'), '{not json']);
    const run = await consume(topic);
    await waitFor(async () => run.retries.length >= 2, 'retries while the warehouse refuses writes');
    // Long enough that a stamp from before the outage cannot share a second (ClickHouse's precision) with one after it.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const restoredAt = Date.now();
    await db.warehouse.execute(RENAME[engine]('events_offline', 'events'));
    await waitFor(async () => (await stored()) === 5 && run.batches.length > 0, 'the batch after the outage');

    const [{ first }] = (await db.warehouse.query<{ first: Date }>('SELECT min(ingested_at) AS first FROM events')) as [{ first: Date }];
    // Incremental builds read ClickHouse's events by ingested_at: a batch stamped when first tried would fall behind their watermark.
    expect(first.getTime()).toBeGreaterThanOrEqual(Math.floor((restoredAt - 1_000) / 1_000) * 1_000);
    const parked = await db.warehouse.query<{ reason_code: string }>('SELECT reason_code FROM events_quarantine');
    expect(parked.map((r) => r.reason_code)).toEqual(['EVENT_NOT_JSON']);
  });
});
