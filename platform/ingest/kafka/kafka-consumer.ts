import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { kafkaClient } from './kafka-client.ts';
import type { IngestPipeline, IngestResult } from '../pipeline.ts';
import { kafkaCandidate } from './kafka-message.ts';

export interface KafkaConsumerOptions {
  brokers: string[];
  topics: string[];
  groupId: string;
  /** Tenant that parked events without a `tenantid` are filed under. */
  submitter: string;
  /** Larger messages are not parsed: parked as EVENT_TOO_LARGE and sent to the DLQ. */
  maxMessageBytes?: number;
  /** Where refused messages go; defaults to `<topic>.dlq`. */
  deadLetterTopic?: (topic: string) => string;
  /** First and longest wait between attempts while the warehouse refuses writes. */
  backoff?: { initialMs: number; maxMs: number };
  clientId?: string;
  /** How long the group waits for a silent (crashed) member before handing its partitions on. */
  sessionTimeoutMs?: number;
  /** Replays: where each assigned partition starts (default: the group's committed offset, else the beginning). */
  startOffset?: string;
  /** Replays: messages for which this is true are passed over (neither written nor dead-lettered). */
  skip?: (message: KafkaMessage) => boolean;
  /** Called once per batch written, for metrics. */
  onBatch?: (report: BatchReport) => void;
  /** Called when a write fails and will be retried. */
  onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  /** Called when kafkajs gave up on its consumer (a crash it does not restart from) and a new one is made. */
  onRecreate?: (error: unknown) => void;
}

export interface BatchReport {
  topic: string;
  partition: number;
  result: IngestResult;
  /** Messages still behind this batch in the partition. */
  lag: number;
  /** Time from receiving the batch to committing it, retries included. */
  ms: number;
  /** Offset of the batch's last message. */
  lastOffset: string;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Shorter than kafkajs' 30 s, so a crashed consumer's partitions move on sooner; heartbeats every 3 s. */
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;

/**
 * Streams CloudEvents (one per message, structured or binary mode: see
 * kafka-message.ts) from Kafka into the warehouse through the shared ingest
 * pipeline, exactly once in effect:
 * offsets are committed only after a batch is durably written, and a batch
 * delivered again after a crash is absorbed by the (tenant, source, id) dedupe.
 * Only a warehouse that refuses writes holds a partition: a message refused for
 * a reason of its own (not JSON, too large, nested too deep, invalid, a value
 * the engine cannot store) is dead-lettered and parked, and the rest flows.
 * While the warehouse refuses writes the partition waits, retrying with
 * backoff, and commits nothing. Refused messages go to the dead-letter topic
 * with their original bytes and the reason in headers, and to quarantine.
 */
export class KafkaIngestConsumer {
  private readonly kafka: Kafka;
  /** Replaced by a new one when kafkajs stops it for good (see `recreate`). */
  private consumer: Consumer;
  private readonly producer: Producer;
  private readonly maxBytes: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private stopping = false;
  private recreating: NodeJS.Timeout | undefined;
  /** Counts the group's rebalances as this process saw them: a batch fetched before one may belong to another member now. */
  private generation = 0;

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly options: KafkaConsumerOptions,
  ) {
    this.kafka = kafkaClient(options.clientId ?? 'companyos-ingest', options.brokers);
    this.consumer = this.newConsumer();
    this.producer = this.kafka.producer();
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 10_000 };
  }

  async start(): Promise<void> {
    // Started while the group forms, so the first batch does not wait for the thread to load.
    this.pipeline.startScreening();
    await this.producer.connect();
    await this.run(this.consumer);
  }

  /** Finishes the batch in hand, commits what was written, and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.recreating);
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private newConsumer(): Consumer {
    const sessionTimeout = this.options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout,
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
      maxWaitTimeInMs: 100,
      maxBytes: 64 * 1024 * 1024,
      maxBytesPerPartition: 16 * 1024 * 1024,
    });
    // kafkajs restarts its consumer after a retriable error only; after any other (SyncGroup answered
    // INVALID_REQUEST, error 42, by librdkafka's mock cluster now and then; an error thrown by a callback)
    // it would stay stopped while the process looks alive.
    for (const event of [consumer.events.REBALANCING, consumer.events.GROUP_JOIN]) consumer.on(event, () => void this.generation++);
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.generation++;
      if (payload.restart || this.stopping || consumer !== this.consumer) return;
      this.options.onRecreate?.(payload.error);
      this.recreate(0);
    });
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    for (const topic of this.options.topics) await consumer.subscribe({ topic, fromBeginning: true });
    const startOffset = this.options.startOffset;
    if (startOffset !== undefined) {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) consumer.seek({ topic, partition, offset: startOffset });
        }
      });
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 16,
      eachBatch: (payload) => this.handle(payload),
    });
  }

  /** A new consumer in the same group, after a backoff; tried again (longer) while the brokers refuse it. */
  private recreate(attempt: number): void {
    const waitMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** attempt);
    this.recreating = setTimeout(() => {
      if (this.stopping) return;
      const consumer = (this.consumer = this.newConsumer());
      this.run(consumer).catch(async (error: unknown) => {
        this.options.onRecreate?.(error);
        await consumer.disconnect().catch(() => {});
        if (!this.stopping && consumer === this.consumer) this.recreate(attempt + 1);
      });
    }, waitMs);
  }

  private async handle({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const messages = this.options.skip ? batch.messages.filter((m) => !this.options.skip!(m)) : batch.messages;
    const fetchedIn = this.generation;
    // A batch fetched before a rebalance or a seek may be another member's now: it is theirs to write.
    const fenced = () => isStale() || this.generation !== fetchedIn;
    if (batch.messages.length === 0 || fenced()) return;
    const started = performance.now();
    const candidateAt = (index: number) => kafkaCandidate(messages[index]!, this.maxBytes);

    let result: IngestResult | undefined;
    let parked = false;
    for (let attempt = 0; !result; attempt++) {
      try {
        // Screened at each try: a batch written after an outage is stamped as received then, as ClickHouse's incremental builds need.
        const context = { channel: 'kafka' as const, submitter: this.options.submitter, receivedAt: new Date() };
        const screened = await this.pipeline.screenMessages(messages, this.maxBytes, context);
        if (fenced()) return;
        // Its invalid events are parked once, whatever the retries of its valid ones.
        if (!parked) await this.pipeline.park(screened);
        parked = true;
        result = await this.pipeline.write(screened, context, candidateAt);
      } catch (error) {
        // Nothing of this batch is committed; stopping now means it is delivered again.
        if (this.stopping || !isRunning() || fenced()) return;
        const waitMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** attempt);
        this.options.onRetry?.(error, attempt + 1, waitMs);
        await sleep(waitMs);
        await heartbeat();
      }
    }

    // What it dead-letters, the partition's new owner dead-letters again: leave that to the owner.
    if (fenced()) return;
    if (result.rejected.length) {
      const dlq = this.options.deadLetterTopic?.(batch.topic) ?? `${batch.topic}.dlq`;
      await this.producer.send({
        topic: dlq,
        acks: -1,
        messages: result.rejected.map((rejection) => {
          const message = messages[rejection.index]!;
          const headers: IHeaders = {
            ...message.headers,
            'companyos-reason-code': rejection.code,
            'companyos-reason': rejection.message,
            'companyos-source-topic': batch.topic,
            'companyos-source-partition': String(batch.partition),
            'companyos-source-offset': message.offset,
          };
          return { key: message.key, value: message.value, headers };
        }),
      });
    }
    // Fencing: a consumer whose group rebalanced while it wrote (it was paused past its session, say)
    // commits nothing; a commit it sent before hearing of the rebalance carries its old generation and the
    // broker refuses it. What it wrote is there once: the new owner's copy of the batch is absorbed by the dedupe.
    if (fenced()) return;
    resolveOffset(batch.lastOffset());
    // Kafka's committed offset is the next one to read.
    await this.consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() },
    ]);
    await heartbeat();
    this.options.onBatch?.({
      topic: batch.topic,
      partition: batch.partition,
      result,
      lag: Number(batch.offsetLag()),
      ms: performance.now() - started,
      lastOffset: batch.lastOffset(),
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
