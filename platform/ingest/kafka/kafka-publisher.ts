import type { Producer } from 'kafkajs';
import { kafkaClient } from './kafka-client.ts';
import type { CloudEvent } from '../../../kernel/schemas/index.ts';

const STRUCTURED_HEADERS = { 'content-type': 'application/cloudevents+json; charset=utf-8' };

/**
 * The producer side of the Kafka ingest mode: publishes validated events,
 * keyed by tenant (one tenant's events stay in order), with acks from all
 * in-sync replicas. A retry after a lost ack may publish an event twice; the
 * consumer's (tenant, source, id) dedupe makes that harmless.
 */
export class KafkaEventPublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    brokers: string[],
    private readonly topic: string,
  ) {
    this.producer = kafkaClient('companyos-api', brokers).producer();
  }

  async publish(events: readonly CloudEvent[]): Promise<void> {
    if (events.length === 0) return;
    await (this.connected ??= this.producer.connect());
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      // Structured mode, said so in the header the CloudEvents Kafka binding reads.
      messages: events.map((event) => ({ key: event.tenantid, value: JSON.stringify(event), headers: STRUCTURED_HEADERS })),
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
