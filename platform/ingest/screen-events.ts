import type { CloudEvent } from '../../kernel/schemas/index.ts';
import type { SqlValue } from '../../kernel/warehouse/index.ts';
import { UnparsedEvent, type IngestContext, type Rejection } from './candidate.ts';
import { normalizeEvent } from './normalize-event.ts';
import { isStackOverflow, Quarantine } from './quarantine.ts';
import { REJECTION_CODES } from './rejection-codes.ts';
import { validateEvent } from './validate-event.ts';

/** A batch validated and normalized, nothing written yet. */
export interface ScreenedBatch {
  /** `events` rows of the valid events, in input order. */
  rows: SqlValue[][];
  /** Each row's position in the batch. */
  indices: number[];
  /** The invalid ones, in input order. */
  rejected: Rejection[];
  /** Their `events_quarantine` rows, to be written. */
  parked: SqlValue[][];
  /** The rows' dedupe digests (`packedDigests`), when the thread that screened them computed them. */
  digests?: Uint8Array;
}

export interface Screened extends ScreenedBatch {
  /** The valid events themselves, in the order of `rows`. */
  events: CloudEvent[];
}

/** Events screened between two yields to the event loop. */
const SCREEN_SLICE = 250;

/**
 * Validates and normalizes each candidate; what is invalid becomes a quarantine
 * row with its reason. Pure: it reads and writes nothing, so it runs on any thread.
 * `yieldEvery` events it gives the event loop back, for a thread that serves others.
 */
export async function screenEvents(
  candidates: readonly unknown[],
  context: IngestContext & { receivedAt: Date },
  { yieldEvery = SCREEN_SLICE }: { yieldEvery?: number } = {},
): Promise<Screened> {
  const { receivedAt } = context;
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
    if (index > 0 && index % yieldEvery === 0) await new Promise(setImmediate);
    screenOne(candidates[index], index);
  }
  return { rows, indices, events, rejected: quarantine.rejected, parked: quarantine.rows };
}
