export { IngestPipeline, DEFAULT_DEDUPE_WINDOW_DAYS, UnparsedEvent } from './pipeline.ts';
export type { Channel, IngestContext, IngestResult, Rejection } from './pipeline.ts';
export { REJECTION_CODES, type RejectionCode } from './rejection-codes.ts';
export { validateEvent } from './validate-event.ts';
export { readEventFile, EventFileError, type EventFileBatch } from './event-file.ts';
export { tenantZeroWeek, TENANT_ZERO, TENANT_ZERO_TYPES, SEED_POLICY_VERSION } from './seed/tenant-zero.ts';
export { normalizeEvent } from './normalize-event.ts';
export { parseNdjson, toNdjson } from './ndjson.ts';
export { KafkaIngestConsumer, DEFAULT_MAX_MESSAGE_BYTES, type KafkaConsumerOptions, type BatchReport } from './kafka/kafka-consumer.ts';
