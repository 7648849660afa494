import type { IngestContext } from './candidate.ts';
import type { ScreenedBatch } from './screen-events.ts';

/** How a batch is screened. */
export interface ScreenOptions {
  context: IngestContext & { receivedAt: Date };
  /** Positions of the dedupe key's columns in a row: given, the rows' digests come back too (`ScreenedBatch.digests`). */
  digestKey?: readonly number[];
}

/** A Kafka batch: the messages' values end to end (transferred, not copied), and their headers as text. */
export interface MessagesBatch {
  /** Larger messages are EVENT_TOO_LARGE. */
  maxBytes: number;
  /** Every message's value, one after another; a missing value is empty. */
  values: Uint8Array;
  /** Where each message's value ends in `values`. */
  ends: Uint32Array;
  /** Each message's headers (`headerStrings`), or null for none. */
  headers: (Record<string, string> | null)[];
}

export type ScreenRequest = ScreenOptions & MessagesBatch & { id: number };

export type ScreenResponse = { id: number; screened: ScreenedBatch } | { id: number; error: string };
