import { availableParallelism } from 'node:os';
import type { KafkaMessage } from 'kafkajs';
import { unpackDigests } from '../../kernel/dedupe/index.ts';
import { EVENT_COLUMNS, QUARANTINE_COLUMNS, type SqlValue, type UniqueInsert, type Warehouse } from '../../kernel/warehouse/index.ts';
import type { IngestContext, Rejection } from './candidate.ts';
import { Quarantine } from './quarantine.ts';
import { REJECTION_CODES } from './rejection-codes.ts';
import { screenEvents, type Screened, type ScreenedBatch } from './screen-events.ts';
import { ScreenThread } from './screen-thread.ts';
import { kafkaCandidate } from './kafka/kafka-message.ts';
import { isValueRefusal } from './value-refusal.ts';

export { UnparsedEvent, type Channel, type IngestContext, type Rejection } from './candidate.ts';
export type { Screened, ScreenedBatch } from './screen-events.ts';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

/** The dedupe guarantee: a repeat of (tenant, source, id) within this many days is never stored twice. */
export const DEFAULT_DEDUPE_WINDOW_DAYS = 35;

/** Whether a screening thread pays here: with one core it would only take turns with the main thread. */
export function screeningThreadPays(): boolean {
  return availableParallelism() > 1;
}

export interface IngestPipelineOptions {
  dedupeWindowDays?: number;
  /**
   * Screen Kafka batches on a worker thread, so the consumer's thread only fetches and writes (off by default; the
   * platform turns it on where there is more than one core). Other batches are screened where they arrive: an HTTP
   * batch is parsed on the main thread, and cloning its events to a worker cost more than screening them
   * (benchmarks/README.md, session 67).
   */
  screenOnWorker?: boolean;
  /** Called when the worker thread failed: batches are screened on the calling thread for `retryInMs`, then a new worker is tried. */
  onScreenFallback?: (error: unknown, retryInMs: number) => void;
}

/**
 * The one ingest path every source shares (HTTP, files, Kafka, the seed):
 * validate → normalize → dedupe on (tenant_id, source, id) → write, and park
 * whatever is invalid with its reason.
 */
export class IngestPipeline {
  private readonly unique: UniqueInsert;
  private readonly screening: ScreenThread | undefined;
  /** Positions of the dedupe key's columns in an `events` row: a thread that screens events may digest them too (`store`). */
  readonly digestKey: readonly number[];

  constructor(
    private readonly warehouse: Warehouse,
    options: IngestPipelineOptions = {},
  ) {
    if (options.screenOnWorker) this.screening = new ScreenThread(options.onScreenFallback);
    this.unique = {
      table: 'events',
      columns: EVENT_COLUMNS,
      key: ['tenant_id', 'source', 'id'],
      windowColumn: 'ingested_at',
      windowDays: options.dedupeWindowDays ?? DEFAULT_DEDUPE_WINDOW_DAYS,
      // Incremental builds read the events after their watermark on ingested_at: it must follow commit order.
      stampColumn: 'ingested_at',
    };
    this.digestKey = this.unique.key.map((column) => {
      const at = EVENT_COLUMNS.indexOf(column);
      if (at < 0) throw new Error(`dedupe key column ${column} is not an events column`);
      return at;
    });
  }

  async ingest(candidates: readonly unknown[], context: IngestContext): Promise<IngestResult> {
    const received = { ...context, receivedAt: context.receivedAt ?? new Date() };
    const screened = await screenEvents(candidates, received);
    return this.store(screened, received, (index) => candidates[index]);
  }

  /**
   * Reads and screens a Kafka batch (`kafkaCandidate` each message, `maxBytes` the largest): on the screening
   * thread when the pipeline has one.
   */
  screenMessages(messages: readonly Pick<KafkaMessage, 'value' | 'headers'>[], maxBytes: number, context: IngestContext & { receivedAt: Date }): Promise<ScreenedBatch> {
    return this.screening
      ? this.screening.screenMessages(messages, maxBytes, { context, digestKey: this.digestKey })
      : screenEvents(messages.map((message) => kafkaCandidate(message, maxBytes)), context);
  }

  /** Loads the screening thread ahead of the first batch (a consumer does, while its group forms). */
  startScreening(): void {
    this.screening?.start();
  }

  /** Stops the screening thread; batches are then screened on the calling thread. */
  close(): Promise<void> {
    return this.screening?.close() ?? Promise.resolve();
  }

  /** Writes a screened batch (`screenEvents`, on this thread or another): its parked events (`park`), then its rows (`write`). */
  async store(screened: ScreenedBatch, context: IngestContext, candidateAt: (index: number) => unknown): Promise<IngestResult> {
    await this.park(screened);
    return this.write(screened, context, candidateAt);
  }

  /** Writes the quarantine rows of a screened batch's invalid events. */
  async park(screened: ScreenedBatch): Promise<void> {
    if (screened.parked.length) await this.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, screened.parked);
  }

  /**
   * Writes a screened batch's rows, deduplicated, and answers for the whole batch (its
   * invalid events included, which `park` writes). `candidateAt` gives back an input, for
   * a row the engine refuses for its values (DuckDB reading a lone surrogate as JSON),
   * which is then parked.
   */
  async write(screened: ScreenedBatch, context: IngestContext, candidateAt: (index: number) => unknown): Promise<IngestResult> {
    const rejected = [...screened.rejected];
    const digests = screened.digests && unpackDigests(screened.digests);
    const { inserted, duplicates, refused } = await this.insertIsolating(screened.rows, screened.indices, digests);
    if (refused.length) {
      const quarantine = new Quarantine(context, context.receivedAt ?? new Date());
      for (const { index, error } of refused) {
        quarantine.park(index, candidateAt(index), 'EVENT_NOT_STORABLE', `${REJECTION_CODES.EVENT_NOT_STORABLE} (${engineReason(error)})`);
      }
      await this.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, quarantine.rows);
      rejected.push(...quarantine.rejected);
      rejected.sort((a, b) => a.index - b.index);
    }
    return { accepted: inserted, duplicates, rejected };
  }

  /**
   * Writes the rows; when the engine refuses one of them for its values, halves
   * the batch until the refused rows are found and writes the others. Anything
   * else (the warehouse down, full, a table missing) is thrown: the caller retries.
   */
  private async insertIsolating(
    rows: SqlValue[][],
    indices: number[],
    digests: readonly Uint8Array[] | undefined,
  ): Promise<{ inserted: number; duplicates: number; refused: { index: number; error: unknown }[] }> {
    try {
      const { inserted } = await this.warehouse.insertUnique(this.unique, rows, digests);
      return { inserted, duplicates: rows.length - inserted, refused: [] };
    } catch (error) {
      if (!isValueRefusal(error)) throw error;
      if (rows.length === 1) return { inserted: 0, duplicates: 0, refused: [{ index: indices[0]!, error }] };
      const half = Math.ceil(rows.length / 2);
      const first = await this.insertIsolating(rows.slice(0, half), indices.slice(0, half), digests?.slice(0, half));
      const second = await this.insertIsolating(rows.slice(half), indices.slice(half), digests?.slice(half));
      return { inserted: first.inserted + second.inserted, duplicates: first.duplicates + second.duplicates, refused: [...first.refused, ...second.refused] };
    }
  }

  /**
   * Validates and normalizes, and parks what is invalid; writes nothing valid.
   * The Kafka producer mode publishes the valid events instead.
   */
  async screen(candidates: readonly unknown[], context: IngestContext): Promise<Screened> {
    const screened = await screenEvents(candidates, { ...context, receivedAt: context.receivedAt ?? new Date() });
    await this.park(screened);
    return screened;
  }
}

/** The engine's own words about a refused value, without the adapter's preamble. */
function engineReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^(DuckDB|ClickHouse) failed \([^)]*\): /, '').slice(0, 300);
}

