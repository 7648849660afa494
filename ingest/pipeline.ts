import { randomUUID } from 'node:crypto';
import { EVENT_COLUMNS, QUARANTINE_COLUMNS, type SqlValue, type UniqueInsert, type Warehouse } from '../warehouse/index.ts';
import type { CloudEvent } from '../schemas/index.ts';
import { normalizeEvent } from './normalize-event.ts';
import { REJECTION_CODES, type RejectionCode } from './rejection-codes.ts';
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

/** Input that never became an event (not JSON, or too large to read): parked with its raw text. */
export class UnparsedEvent {
  constructor(
    readonly raw: string,
    readonly reason: string,
    readonly code: 'EVENT_NOT_JSON' | 'EVENT_TOO_LARGE' = 'EVENT_NOT_JSON',
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
    };
  }

  async ingest(candidates: readonly unknown[], context: IngestContext): Promise<IngestResult> {
    const { rows, rejected } = await this.screen(candidates, context);
    const { inserted, duplicate } = await this.warehouse.insertUnique(this.unique, rows);
    return { accepted: inserted, duplicates: duplicate.length - inserted, rejected };
  }

  /**
   * Validates and normalizes, and parks what is invalid; writes nothing valid.
   * `ingest` writes the rows; the Kafka producer mode publishes the events instead.
   */
  async screen(candidates: readonly unknown[], context: IngestContext): Promise<Screened> {
    const receivedAt = context.receivedAt ?? new Date();
    const rows: SqlValue[][] = [];
    const events: CloudEvent[] = [];
    const rejected: Rejection[] = [];
    const parked: SqlValue[][] = [];
    const park = (index: number, candidate: unknown, code: RejectionCode, message: string) => {
      const attrs: Record<string, unknown> = isObject(candidate) ? candidate : {};
      const id = typeof attrs.id === 'string' ? attrs.id : null;
      rejected.push({ index, id, code, message });
      parked.push([
        typeof attrs.tenantid === 'string' && attrs.tenantid ? attrs.tenantid : context.submitter,
        randomUUID(),
        receivedAt,
        context.channel,
        index,
        id,
        typeof attrs.source === 'string' ? attrs.source : null,
        code,
        message,
        candidate instanceof UnparsedEvent ? candidate.raw : (JSON.stringify(candidate) ?? 'null'),
      ]);
    };

    candidates.forEach((candidate, index) => {
      if (candidate instanceof UnparsedEvent) {
        return park(index, candidate, candidate.code, `${REJECTION_CODES[candidate.code]} (${candidate.reason})`);
      }
      const valid = validateEvent(candidate);
      if (!valid.ok) return park(index, candidate, valid.code, valid.message);
      const normalized = normalizeEvent(valid.event, context.channel, receivedAt);
      if (!normalized.ok) return park(index, candidate, normalized.code, normalized.message);
      rows.push(normalized.row);
      events.push(valid.event);
    });
    if (parked.length) await this.warehouse.insert('events_quarantine', QUARANTINE_COLUMNS, parked);
    return { rows, events, rejected };
  }
}

export interface Screened {
  /** `events` rows of the valid events, in input order. */
  rows: SqlValue[][];
  /** The valid events themselves, in the same order. */
  events: CloudEvent[];
  /** The invalid ones, already parked. */
  rejected: Rejection[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
