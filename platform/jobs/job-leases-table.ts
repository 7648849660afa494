import type { TableDefinition } from '../../kernel/warehouse/index.ts';

/**
 * Who runs each cluster-wide job now (`JobLeases`): one row per job, taken by compare-and-set. Not a
 * tenant's data: the platform's own coordination, like the migrations' record.
 */
export const JOB_LEASES_TABLE: TableDefinition = {
  name: 'job_leases',
  owner: 'platform/jobs',
  tenantColumn: null,
  retention: 'system',
  key: ['job'],
  clickhouse: { engine: 'MergeTree' },
  state: { unique: [['job']], onlyInStateStore: true },
  columns: [
    { name: 'job', type: 'text' },
    { name: 'holder', type: 'text' },
    { name: 'fencing', type: 'bigint' },
    { name: 'expires_at', type: 'timestamp' },
  ],
};
