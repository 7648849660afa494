import { setTimeout as sleep } from 'node:timers/promises';
import type { WarehouseCapabilities } from './warehouse.ts';

/** Beyond a live writer's batch window, how long its batch may take to be written. */
const LIVE_BATCH_SLACK_MS = 2_000;

/**
 * How long what another live process has batched (decisions, queued events) may still be unwritten: a start that
 * recovers what a kill lost waits this long before it looks at the last moments, or it would write them twice.
 * 0 where one process writes (DuckDB).
 */
export function liveBatchGuardMs(capabilities: WarehouseCapabilities): number {
  return capabilities.concurrentWriters ? capabilities.batchWindowMs + LIVE_BATCH_SLACK_MS : 0;
}

/**
 * Waits until what live processes had batched at `since` must have been written (`since` + `guardMs`, as `now` reads
 * the clock): true then, false when `signal` aborts first (what they hold is theirs to write).
 */
export function liveBatchesWritten(since: number, guardMs: number, signal: AbortSignal, now = Date.now()): Promise<boolean> {
  return sleep(Math.max(0, since + guardMs - now), true, { signal }).then(() => !signal.aborted, () => false);
}
