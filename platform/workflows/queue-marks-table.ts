import type { TableDefinition } from '../../kernel/warehouse/index.ts';

/**
 * How far each running platform process has written what it queued (`QueueMarks`): the metering events of workflow
 * transitions (`written_through`, by the workflow clock) and decisions (`decisions_through`, by the receipts' clock). One row per
 * process, refreshed while it runs and removed when it closes. Not a tenant's data: the platform's own recovery
 * record, like the job leases.
 */
export const QUEUE_MARKS_TABLE: TableDefinition = {
  name: 'queue_marks',
  owner: 'platform/workflows',
  tenantColumn: null,
  retention: 'system',
  key: ['process_id'],
  clickhouse: { engine: 'MergeTree' },
  state: { unique: [['process_id']], onlyInStateStore: true },
  columns: [
    { name: 'process_id', type: 'text' },
    { name: 'written_through', type: 'timestamp' },
    { name: 'decisions_through', type: 'timestamp' },
    { name: 'seen_at', type: 'timestamp' },
  ],
};
