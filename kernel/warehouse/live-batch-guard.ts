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
