import { randomUUID } from 'node:crypto';
import { EVENT_COLUMNS, QUARANTINE_COLUMNS, type SqlValue, type UniqueInsert, type Warehouse } from '../../kernel/warehouse/index.ts';
import type { CloudEvent } from '../../kernel/schemas/index.ts';
import { normalizeEvent } from './normalize-event.ts';
import { REJECTION_CODES, type RejectionCode } from './rejection-codes.ts';
import { isValueRefusal } from './value-refusal.ts';
import { validateEvent } from './validate-event.ts';

/** Where events came from: recorded on every row and every parked event. */
export type Channel = 'http' | 'file' | 'kafka' | 'seed';

export interface IngestContext {
  channel: Channel;
  /** Tenant of whoever submitted the events; parked events without a tenant are filed under it. */
  submitter: string;
  receivedAt?: Date;
}

export interface Rejection {
  index: number;
  id: string | null;
  code: RejectionCode;
  message: string;
}

/** Input that never became an event (not JSON, too large or too deeply nested to read): parked with its raw text. */
export class UnparsedEvent {
  constructor(
    readonly raw: string,
    readonly reason: string,
    readonly code: RejectionCode = 'EVENT_NOT_JSON',
  ) {}
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

/** The dedupe guarantee: a repeat of (tenant, source, id) within this many days is never stored twice. */
export const DEFAULT_DEDUPE_WINDOW_DAYS = 35;

/**
 * The one ingest path every source shares (HTTP, files, Kafka, the seed):
 * validate → normalize → dedupe on (tenant_id, source, id) → write, and park
 * whatever is invalid with its reason.
 */
/** Events screened between two yields to the event loop. */
const SCREEN_SLICE = 250;

export class IngestPipeline {
  private readonly unique: UniqueInsert;

  constructor(
    private readonly warehouse: Warehouse,
    options: { dedupeWindowDays?: number } = {},
  ) {
    this.unique = {
      table: 'events',
      columns: EVENT_COLUMNS,
      key: ['tenant_id', 'source', 'id'],
      windowColumn: 'ingested_at',
      windowDays: options.dedupeWindowDays ?? DEFAULT_DEDUPE_WINDOW_DAYS,
      // Incremental builds read the events after their watermark on ingested_at: it must follow commit order.
      stampColumn: 'ingested_at',
    };
  }

  async ingest(candidates: readonly unknown[], context: IngestContext): Promise<IngestResult> {
    const { rows, indices, rejected } = await this.screen(candidates, context);
    const { inserted, duplicates, refused } = await this.insertIsolating(rows, indices);
    if (refused.length) {
      // Valid to the schema, refused by the engine (DuckDB reading a lone surrogate as JSON): parked like any invalid event.
      const quarantine = new Quarantine(context, context.receivedAt ?? new Date());
      for (const { index, error } of refused) {
        quarantine.park(index, candidates[index], 'EVENT_NOT_STORABLE', `${REJECTION_CODES.EVENT_NOT_STORABLE} (${engineReason(error)})`);
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
  private async insertIsolating(rows: SqlValue[][], indices: number[]): Promise<{ inserted: number; duplicates: number; refused: { index: number; error: unknown }[] }> {
    try {
      const { inserted } = await this.warehouse.insertUnique(this.unique, rows);
      return { inserted, duplicates: rows.length - inserted, refused: [] };
    } catch (error) {
      if (!isValueRefusal(error)) throw error;
      if (rows.length === 1) return { inserted: 0, duplicates: 0, refused: [{ index: indices[0]!, error }] };
      const half = Math.ceil(rows.length / 2);
      const first = await this.insertIsolating(rows.slice(0, half), indices.slice(0, half));
      const second = await this.insertIsolating(rows.slice(half), indices.slice(half));
      return { inserted: first.inserted + second.inserted, duplicates: first.duplicates + second.duplicates, refused: [...first.refused, ...second.refused] };
    }
  }

  /**
   * Validates and normalizes, and parks what is invalid; writes nothing valid.
   * `ingest` writes the rows; the Kafka producer mode publishes the events instead.
   */
  async screen(candidates: readonly unknown[], context: IngestContext): Promise<Screened> {
    const receivedAt = context.receivedAt ?? new Date();
    const rows: SqlValue[][] = [];
    const indices: number[] = [];
    const events: CloudEvent[] = [];
    const quarantine = new Quarantine(context, receivedAt);
    const park = quarantine.park.bind(quarantine);

    const screenOne = (candidate: unknown, index: number) => {
      if (candidate instanceof UnparsedEvent) {
        return park(index, candidate, candidate.code, `${REJECTION_CODES[candidate.code]} (${candidate.reason})`);
      }
      // One event that breaks validation or normalization is parked; it never fails its batch.
      try {
        const valid = validateEvent(candidate);
        if (!valid.ok) return park(index, candidate, valid.code, valid.message);
        const normalized = normalizeEvent(valid.event, context.channel, receivedAt);
        if (!normalized.ok) return park(index, candidate, normalized.code, normalized.message);
        rows.push(normalized.row);
        indices.push(index);
        events.push(valid.event);
      } catch (error) {
        const code = isStackOverflow(error) ? 'EVENT_TOO_DEEP' : 'EVENT_INVALID_ATTRIBUTE';
        park(index, candidate, code, REJECTION_CODES[code]);
      }
    };
    for (let index = 0; index < candidates.length; index++) {
      // A large batch gives the event loop back now and then: another tenant's small request is not held behind all of it.
      if (index > 0 && index % SCREEN_SLICE === 0) await new Promise(setImmediate);
      screenOne(candidates[index], index);
    }
    if (quarantine.rows.length) await this.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, quarantine.rows);
    return { rows, indices, events, rejected: quarantine.rejected };
  }
}

/** Parked events of one batch: `events_quarantine` rows and the rejections that answer them. */
class Quarantine {
  readonly rows: SqlValue[][] = [];
  readonly rejected: Rejection[] = [];

  constructor(
    private readonly context: IngestContext,
    private readonly receivedAt: Date,
  ) {}

  park(index: number, candidate: unknown, code: RejectionCode, message: string): void {
    const attrs: Record<string, unknown> = isObject(candidate) ? candidate : {};
    const id = typeof attrs.id === 'string' ? attrs.id : null;
    this.rejected.push({ index, id, code, message });
    this.rows.push([
      typeof attrs.tenantid === 'string' && attrs.tenantid ? attrs.tenantid : this.context.submitter,
      randomUUID(),
      this.receivedAt,
      this.context.channel,
      index,
      id,
      typeof attrs.source === 'string' ? attrs.source : null,
      code,
      message,
      candidate instanceof UnparsedEvent ? candidate.raw : payloadOf(candidate),
    ]);
  }
}

/** The engine's own words about a refused value, without the adapter's preamble. */
function engineReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^(DuckDB|ClickHouse) failed \([^)]*\): /, '').slice(0, 300);
}

export interface Screened {
  /** `events` rows of the valid events, in input order. */
  rows: SqlValue[][];
  /** The valid events themselves, in the same order. */
  events: CloudEvent[];
  /** The invalid ones, already parked. */
  rejected: Rejection[];
  /** Each row's position in the batch. */
  indices: number[];
}

/** The candidate as JSON for quarantine; one that cannot be serialized (nested too deep, cyclic) is described instead. */
function payloadOf(candidate: unknown): string {
  try {
    return JSON.stringify(candidate) ?? 'null';
  } catch (error) {
    return JSON.stringify({ unserializable: isStackOverflow(error) ? 'nested too deep to serialize' : 'not serializable' });
  }
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
