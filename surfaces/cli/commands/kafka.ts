import { InvalidArgumentError, type Command } from 'commander';
import { KafkaIngestConsumer, kafkaClient, type BatchReport, type KafkaConsumerOptions } from '../../../platform/ingest/index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';
import { ConfigError, loadConfig, type PlatformConfig } from '../kit/index.ts';
import { findRunningPlatform, openLocalPlatform } from '../kit/index.ts';

type KafkaConfig = NonNullable<PlatformConfig['kafka']>;

export function kafkaConsumerOptions(kafka: KafkaConfig): Omit<KafkaConsumerOptions, 'onBatch' | 'onRetry'> {
  return { brokers: kafka.brokers, topics: kafka.topics, groupId: kafka.group, submitter: TENANT_ZERO };
}

export function registerKafka(program: Command): void {
  const kafka = program.command('kafka').description('Consume CloudEvents from Kafka into the warehouse.');
  kafka
    .command('consume')
    .description(
      'Run the standalone Kafka consumer until stopped (SIGTERM or Ctrl-C: finish the batch, commit, exit 0). ' +
        'With DuckDB and `companyos start` running, the platform consumes instead.',
    )
    .action(async () => {
      const { config, kafka: settings } = await kafkaSettings();
      await runConsumer(config, kafkaConsumerOptions(settings), () =>
        new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        }),
      );
    });

  kafka
    .command('replay')
    .description(
      'Read the topics again from an offset or a time, with a one-off consumer group (the live group is untouched), ' +
        'until the end offsets seen at start; the dedupe keeps the counts right.',
    )
    .option('--from-offset <n>', 'start every partition at this offset', offset)
    .option('--from-time <time>', 'only messages at or after this RFC 3339 time (read from the earliest offset)', time)
    .action(async (options: { fromOffset?: string; fromTime?: Date }) => {
      if ((options.fromOffset === undefined) === (options.fromTime === undefined)) {
        throw new ConfigError('Give exactly one of --from-offset N or --from-time T.');
      }
      const { config, kafka: settings } = await kafkaSettings();
      const ends = await endOffsets(settings);
      const reached = new Map<string, bigint>();
      let finished: () => void = () => {};
      const done = new Promise<void>((resolve) => (finished = resolve));
      const check = () => {
        if ([...ends].every(([key, end]) => (reached.get(key) ?? -1n) + 1n >= end)) finished();
      };
      const since = options.fromTime?.getTime();
      await runConsumer(
        config,
        {
          ...kafkaConsumerOptions(settings),
          groupId: `${settings.group}-replay-${Date.now()}`,
          startOffset: options.fromOffset,
          skip: since === undefined ? undefined : (message) => Number(message.timestamp) < since,
        },
        () => (check(), done),
        (report) => {
          reached.set(`${report.topic}/${report.partition}`, BigInt(report.lastOffset));
          check();
        },
      );
    });
}

async function kafkaSettings(): Promise<{ config: PlatformConfig; kafka: KafkaConfig }> {
  const config = loadConfig();
  if (!config.kafka) throw new ConfigError('Set COMPANYOS_KAFKA_BROKERS (and COMPANYOS_KAFKA_TOPICS) to use Kafka.');
  const running = await findRunningPlatform(config.dataDir);
  if (running && config.engine === 'duckdb') {
    throw new ConfigError(
      `The platform at ${running} owns the DuckDB warehouse: it consumes Kafka itself when started with COMPANYOS_KAFKA_BROKERS; stop it to replay.`,
    );
  }
  return { config, kafka: config.kafka };
}

/** Partitions with messages, and their end offsets now: where a replay stops. */
async function endOffsets(kafka: KafkaConfig): Promise<Map<string, bigint>> {
  const admin = kafkaClient('companyos-replay', kafka.brokers).admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of kafka.topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) ends.set(`${topic}/${partition}`, BigInt(high));
      }
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** Runs a consumer into the configured warehouse until `until` resolves, printing progress and a summary. */
async function runConsumer(
  config: PlatformConfig,
  options: Omit<KafkaConsumerOptions, 'onBatch' | 'onRetry'>,
  until: () => Promise<void>,
  onBatch?: (report: BatchReport) => void,
): Promise<void> {
  const platform = await openLocalPlatform(config);
  const { warehouse } = platform;
  const totals = { batches: 0, accepted: 0, duplicates: 0, rejected: 0 };
  const lag = new Map<string, number>();
  const consumer = new KafkaIngestConsumer(platform.pipeline, {
    ...options,
    onBatch: (report) => {
      totals.batches++;
      totals.accepted += report.result.accepted;
      totals.duplicates += report.result.duplicates;
      totals.rejected += report.result.rejected.length;
      lag.set(`${report.topic}/${report.partition}`, report.lag);
      onBatch?.(report);
    },
    onRetry: (error, attempt, waitMs) =>
      console.error(`warehouse write failed (attempt ${attempt}), retrying in ${waitMs} ms: ${(error as Error).message}`),
  });
  const report = () =>
    console.log(
      `consumed ${totals.batches} batches: accepted ${totals.accepted}, duplicates ${totals.duplicates}, ` +
        `rejected ${totals.rejected} (to DLQ); lag ${[...lag.values()].reduce((a, b) => a + b, 0)}`,
    );
  try {
    await consumer.start();
  } catch (error) {
    await platform.close();
    throw error;
  }
  console.log(`consuming ${options.topics.join(', ')} from ${options.brokers.join(', ')} as group ${options.groupId} into ${warehouse.location}`);
  const progress = setInterval(report, 2_000);
  try {
    await until();
  } finally {
    clearInterval(progress);
    await consumer.stop();
    await platform.close();
  }
  report();
}

function offset(value: string): string {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not an offset (a whole number).`);
  return value;
}

function time(value: string): Date {
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new InvalidArgumentError(`"${value}" is not an RFC 3339 time.`);
  return new Date(at);
}
