/**
 * Kafka ingest throughput into each warehouse, against the direct-adapter baseline, in one run.
 *
 *   npm run bench:ingest-kafka -- [--events 1000000] [--warehouse duckdb,clickhouse] [--per-topic 20000] [--send 4000]
 *
 * Brokers: COMPANYOS_KAFKA_BROKERS, or librdkafka's mock cluster through kcat,
 * started for the run. The mock keeps about 5 MB per partition, so the events
 * are spread over topics of `per-topic` events each.
 * 1. Baseline: the same events as rows, written through the adapter directly.
 * 2. Consumer only: the topics are filled first; then the platform's consumer
 *    (KafkaIngestConsumer, same pipeline as the API) reads them into a fresh warehouse;
 *    timed from its first batch (the group join is printed apart).
 * 3. End to end: producer and consumer start together on fresh topics; timed
 *    from the first send until the last event is committed.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { ensureKcat, startMockKafka, type MockKafkaCluster } from '../../dev/index.ts';
import type { ScratchWarehouse } from '../../dev/index.ts';
import { IngestPipeline, KafkaIngestConsumer, screeningThreadPays } from '../../platform/ingest/index.ts';
import { openWarehouse, type EngineName } from '../../kernel/warehouse/index.ts';
import { directAdapterBaseline } from '../lib/baseline.ts';
import { benchmarkEvent } from '../lib/events.ts';
import { report, throughput, type Measurement } from '../lib/stats.ts';
import { parseEngines, TargetFactory } from '../lib/targets.ts';
import { migratePlatform } from '../../surfaces/compose/index.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    warehouse: { type: 'string', default: 'duckdb' },
    'per-topic': { type: 'string', default: '20000' },
    send: { type: 'string', default: '4000' },
  },
});
const N = Number(args.events);
const PER_TOPIC = Number(args['per-topic']);
/**
 * Messages per producer send: one record batch per partition (~1000 events,
 * ~330 KB at the default, like a producer with linger). The mock broker returns
 * one record batch per partition per fetch, so this sets how much a fetch carries.
 */
const SEND = Number(args.send);
const TENANT = 'bench-tenant';
const ENGINE_NAMES = parseEngines(args.warehouse!);

async function brokers(): Promise<{ brokers: string; mock?: MockKafkaCluster }> {
  if (process.env.COMPANYOS_KAFKA_BROKERS) return { brokers: process.env.COMPANYOS_KAFKA_BROKERS };
  const kcat = ensureKcat((line) => console.log(line));
  if ('missing' in kcat) throw new Error(`cannot benchmark Kafka: ${kcat.missing}`);
  const mock = await startMockKafka(kcat.binary);
  return { brokers: mock.brokers, mock };
}

function topicsFor(prefix: string): string[] {
  return Array.from({ length: Math.ceil(N / PER_TOPIC) }, (_, t) => `${prefix}-${t}`);
}

/** Sends all N events over `topics`, PER_TOPIC each; resolves with the seconds it took. */
async function produceAll(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  const started = performance.now();
  for (let start = 0; start < N; start += SEND) {
    const messages = [];
    // No key: the partitioner spreads messages evenly, so no partition outgrows the mock's retention.
    for (let i = start; i < Math.min(N, start + SEND); i++) messages.push({ value: JSON.stringify(benchmarkEvent(i, TENANT)) });
    await producer.send({ topic: topics[Math.floor(start / PER_TOPIC)]!, acks: -1, messages });
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return seconds;
}

/** Creates the topics (auto-created on a metadata request), so a consumer sees them before the first send. */
async function createTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Consumes `topics` into `target` until all N events are committed. `seconds`
 * runs from the first batch (the group join, timed as `joinSeconds`, is a
 * one-off per consumer) unless `producer` is given: then from its first send.
 */
async function consumeAll(broker: string, target: ScratchWarehouse, topics: string[], producer?: () => Promise<unknown>) {
  const warehouse = await openWarehouse(target.config);
  await migratePlatform(warehouse);
  const batchMs: number[] = [];
  let firstBatchAt = 0;
  let seen = 0;
  let accepted = 0;
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  // As the platform builds it (surfaces/compose): screened on a worker thread where there is more than one core.
  const pipeline = new IngestPipeline(warehouse, { screenOnWorker: screeningThreadPays() });
  const consumer = new KafkaIngestConsumer(pipeline, {
    brokers: [broker],
    topics,
    groupId: `bench-${randomUUID()}`,
    submitter: TENANT,
    onBatch: ({ result, ms }) => {
      firstBatchAt ||= performance.now() - ms;
      batchMs.push(ms);
      accepted += result.accepted;
      seen += result.accepted + result.duplicates + result.rejected.length;
      if (seen >= N) finished();
    },
  });
  const started = performance.now();
  const producing = producer?.();
  await consumer.start();
  await Promise.all([done, producing]);
  const ended = performance.now();
  const seconds = (ended - (producer ? started : firstBatchAt)) / 1000;
  const joinSeconds = (firstBatchAt - started) / 1000;
  await consumer.stop();
  await pipeline.close();
  await warehouse.close();
  await target.dispose();
  if (accepted !== N) throw new Error(`the consumer stored ${accepted} of ${N} events`);
  return { seconds, batchMs, joinSeconds };
}

const { brokers: broker, mock } = await brokers();
const kafka = new Kafka({ clientId: 'bench-producer', brokers: [broker], logLevel: logLevel.ERROR });
console.log(`ingest-kafka: ${N.toLocaleString('en-US')} events over ${Math.ceil(N / PER_TOPIC)} topics, warehouse ${ENGINE_NAMES.join(' and ')}`);
const measurements: Measurement[] = [];
const summaries: Record<string, unknown>[] = [];
try {
  for (const engine of ENGINE_NAMES as EngineName[]) {
    const targets = await TargetFactory.create(engine);
    try {
      const direct = await directAdapterBaseline(engine, await targets.target(), N, 1000, TENANT);
      const filled = topicsFor(`bench-${randomUUID().slice(0, 8)}`);
      const produceSeconds = await produceAll(kafka, filled);
      const only = await consumeAll(broker, await targets.target(), filled);
      const fresh = topicsFor(`bench-${randomUUID().slice(0, 8)}`);
      await createTopics(fresh);
      const e2e = await consumeAll(broker, await targets.target(), fresh, () => produceAll(kafka, fresh));
      const consumerOnly = { name: `Kafka consumer only (${engine})`, events: N, seconds: only.seconds, batchMs: only.batchMs };
      const endToEnd = { name: `Kafka end to end (${engine})`, events: N, seconds: e2e.seconds, batchMs: e2e.batchMs };
      measurements.push(direct, consumerOnly, endToEnd);
      summaries.push({
        benchmark: 'ingest-kafka', engine, events: N,
        produce_events_per_s: Math.round(N / produceSeconds),
        group_join_seconds: Number(only.joinSeconds.toFixed(2)),
        consumer_only_events_per_s: Math.round(throughput(consumerOnly)),
        end_to_end_events_per_s: Math.round(throughput(endToEnd)),
        direct_events_per_s: Math.round(throughput(direct)),
        consumer_ratio: Number((throughput(consumerOnly) / throughput(direct)).toFixed(3)),
      });
    } finally {
      await targets.close();
    }
  }
} finally {
  await mock?.stop();
}
console.log(report(measurements));
for (const s of summaries) {
  console.log(`${s.engine}: consumer-only is ${((s.consumer_ratio as number) * 100).toFixed(1)}% of the direct-adapter baseline measured in this run; producing ran at ${(s.produce_events_per_s as number).toLocaleString('en-US')} events/s.`);
}
for (const s of summaries) console.log(JSON.stringify(s));
