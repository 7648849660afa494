import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { inject } from 'vitest';

export function kafkaBrokers(): string {
  const brokers = inject('kafkaBrokers');
  if (!brokers) throw new Error(`Kafka is unavailable: ${inject('kafkaSkipReason')}`);
  return brokers;
}

export const uniqueTopic = (prefix = 'events') => `${prefix}-${randomUUID().slice(0, 8)}`;

function client(): Kafka {
  return new Kafka({ clientId: 'companyos-tests', brokers: [kafkaBrokers()], logLevel: logLevel.NOTHING });
}

/**
 * Produces the values to `topic`, in sends of 1000. With a fixed `key` they go
 * to one partition, in order; without one they spread over the partitions.
 */
export async function produce(topic: string, values: readonly (string | Buffer)[], key: string | null = 'k'): Promise<void> {
  const producer = client().producer();
  await producer.connect();
  try {
    for (let start = 0; start < values.length; start += 1000) {
      const messages = values.slice(start, start + 1000).map((value, i) => ({ key: key ?? `k${(start + i) % 16}`, value }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface ReadMessage {
  value: string;
  headers: Record<string, string>;
}

/** Reads `count` messages of `topic` from the beginning, with a group of its own. */
export async function readTopic(topic: string, count: number, timeoutMs = 15_000): Promise<ReadMessage[]> {
  const consumer = client().consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${messages.length} of ${count} messages from ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          messages.push({ value: message.value?.toString() ?? '', headers: headersOf(message.headers) });
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
}
