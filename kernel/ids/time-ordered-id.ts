import { v7 } from 'uuid';

/**
 * A new id for a stored row: a UUIDv7 (RFC 9562), its leading bits the time in ms, so ids made later sort after ids
 * made earlier (within a process; across processes, to the clocks' agreement).
 *
 * Why not a random (v4) UUID: the state tables' unique keys are DuckDB ART indexes, and a checkpoint writes each
 * index storage buffer that changed since the last one. Random keys land all over an index, so after a few thousand
 * inserts nearly every buffer has changed and each checkpoint rewrites the whole index — a stall of every commit that
 * grows with the table (59 → 332 ms at 0.1 → 1 million rows; `npm run bench:state-checkpoint`). Time-ordered keys land
 * at the index's end, and a checkpoint writes only that end (11–25 ms at any size). PostgreSQL's B-trees, and
 * OpenLineage's run ids, prefer them for the same reason.
 *
 * An id shows when it was made, to the millisecond: every record given one carries its time in the open anyway. Never
 * use one as a secret (sessions and API keys draw 32 random bytes).
 */
export function timeOrderedId(): string {
  return v7();
}
