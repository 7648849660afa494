import { createRequire } from 'node:module';
import type * as KafkaJsModule from 'kafkajs';
import type { Kafka } from 'kafkajs';

type KafkaJs = typeof KafkaJsModule;
let kafkajs: KafkaJs | undefined;

/**
 * A kafkajs client logging errors only. The library is loaded with the first client, not with this module: every
 * platform process and CLI command loads the ingest module, and only those configured for Kafka use it.
 */
export function kafkaClient(clientId: string, brokers: string[]): Kafka {
  const { Kafka, logLevel } = (kafkajs ??= createRequire(import.meta.url)('kafkajs') as KafkaJs);
  return new Kafka({ clientId, brokers, logLevel: logLevel.ERROR });
}
