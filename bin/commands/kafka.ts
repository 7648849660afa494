import type { Command } from 'commander';
import { IngestPipeline, KafkaIngestConsumer, TENANT_ZERO, type KafkaConsumerOptions } from '../../ingest/index.ts';
import { migrateWarehouse, openWarehouse } from '../../warehouse/index.ts';
import { ConfigError, loadConfig, warehouseConfig, type PlatformConfig } from '../config.ts';
import { findRunningPlatform } from '../running-platform.ts';

export function kafkaConsumerOptions(kafka: NonNullable<PlatformConfig['kafka']>): Omit<KafkaConsumerOptions, 'onBatch' | 'onRetry'> {
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
      const config = loadConfig();
      if (!config.kafka) throw new ConfigError('Set COMPANYOS_KAFKA_BROKERS (and COMPANYOS_KAFKA_TOPICS) to consume from Kafka.');
      const running = await findRunningPlatform(config.dataDir);
      if (running && config.engine === 'duckdb') {
        throw new ConfigError(
          `The platform at ${running} owns the DuckDB warehouse; start it with COMPANYOS_KAFKA_BROKERS set and it consumes Kafka itself.`,
        );
      }
      const warehouse = await openWarehouse(warehouseConfig(config));
      await migrateWarehouse(warehouse);
      const totals = { batches: 0, accepted: 0, duplicates: 0, rejected: 0 };
      const lag = new Map<string, number>();
      const consumer = new KafkaIngestConsumer(new IngestPipeline(warehouse, { dedupeWindowDays: config.dedupeWindowDays }), {
        ...kafkaConsumerOptions(config.kafka),
        onBatch: ({ topic, partition, result, lag: behind }) => {
          totals.batches++;
          totals.accepted += result.accepted;
          totals.duplicates += result.duplicates;
          totals.rejected += result.rejected.length;
          lag.set(`${topic}/${partition}`, behind);
        },
        onRetry: (error, attempt, waitMs) =>
          console.error(`warehouse write failed (attempt ${attempt}), retrying in ${waitMs} ms: ${(error as Error).message}`),
      });
      const report = () =>
        console.log(
          `consumed ${totals.batches} batches: accepted ${totals.accepted}, duplicates ${totals.duplicates}, ` +
            `rejected ${totals.rejected} (to DLQ); lag ${[...lag.values()].reduce((a, b) => a + b, 0)}`,
        );
      await consumer.start();
      console.log(`consuming ${config.kafka.topics.join(', ')} from ${config.kafka.brokers.join(', ')} as group ${config.kafka.group} into ${warehouse.location}`);
      const progress = setInterval(report, 2_000);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      clearInterval(progress);
      await consumer.stop();
      await warehouse.close();
      report();
    });
}
