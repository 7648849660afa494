import { DomainError } from '../../kernel/errors/index.ts';
import type { ModelRefresh } from '../../platform/transforms/index.ts';
import type { StepContext, WorkflowType } from '../../platform/workflows/index.ts';

const HOUR = 60 * 60 * 1000;
const MODEL = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ModelFullRefreshParams {
  /** The model whose table is rebuilt from scratch. */
  model: string;
}

interface Snapshot {
  model: string;
  materialized: string;
  unique_key: string[];
  snapshot: string;
  rows: number;
}

/**
 * A destructive migration: a model table rebuilt from scratch (`--full-refresh`), every tenant's
 * rows dropped and recomputed. Preflight checks the project declares the model and snapshots its
 * table (what approvers see: how many rows); execute snapshots it again right before, then
 * rebuilds it; verify wants the build to have succeeded and not to have lost every row; rollback
 * puts the snapshot back — the rows, and the unique key incremental builds merge on. An interrupted
 * rebuild is not retried: its type compensates (rollback restores the snapshot).
 */
export function modelFullRefresh({ models }: { models: ModelRefresh }): WorkflowType<ModelFullRefreshParams> {
  // The whole run id: its first 12 digits are only the millisecond it was made (a UUIDv7).
  const snapshotName = (context: StepContext<ModelFullRefreshParams>) => `${context.params.model}__snapshot_${context.runId.replaceAll('-', '')}`;
  return {
    name: 'model-full-refresh',
    pack: 'high-risk-ops',
    description: 'Rebuild a model table from scratch (a destructive migration): snapshotted first, restored from the snapshot when the rebuild fails.',
    scope: 'platform',
    parseParams(input) {
      const { model, ...rest } = (input ?? {}) as Record<string, unknown>;
      if (typeof input !== 'object' || Array.isArray(input) || Object.keys(rest).length > 0 || typeof model !== 'string' || !MODEL.test(model)) {
        throw new DomainError('WORKFLOW_PARAMS_INVALID', 'model-full-refresh: params is {"model": "<model name>"} (lowercase letters, digits and _).');
      }
      return { model };
    },
    approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }] },
    separateDuties: true,
    rationale: { categories: ['migration', 'data-fix', 'incident'], minLength: 20 },
    approvalExpiryMs: 24 * HOUR,
    approvalSlaMs: 4 * HOUR,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context): Promise<Snapshot> {
          const { model } = context.params;
          const declared = await models.describe(model);
          if (!declared) throw new Error(`the models project declares no model ${model}`);
          if (declared.materialized === 'view') throw new Error(`${model} is a view: it holds no rows to refresh`);
          if (!(await models.exists(model))) throw new Error(`${model} has not been built yet: a plain build creates it`);
          const snapshot = snapshotName(context);
          const rows = await models.snapshot(model, snapshot);
          context.log(`${model} (${declared.materialized}) holds ${rows} rows; snapshot ${snapshot} taken`);
          return { model, materialized: declared.materialized, unique_key: declared.uniqueKey, snapshot, rows };
        },
      },
      execute: {
        onInterrupt: 'compensate',
        async run(context) {
          const { model, snapshot } = context.outputs.preflight as Snapshot;
          const rows = await models.snapshot(model, snapshot);
          context.log(`snapshot ${snapshot} refreshed: ${rows} rows, as they are just before the rebuild`);
          const report = await models.fullRefresh(model);
          const result = report.results.find((r) => r.model === model);
          if (!result || result.status !== 'success') throw new Error(`the full refresh of ${model} failed: ${result?.message ?? 'not built'}`);
          const after = await models.rows(model);
          context.log(`${model} rebuilt in build ${report.run_id}: ${rows} → ${after} rows`);
          return { build_run_id: report.run_id, rows_before: rows, rows_after: after };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const { rows_before: before, rows_after: after } = context.outputs.execute as { rows_before: number; rows_after: number };
          if (before > 0 && after === 0) throw new Error(`the rebuilt table is empty where it held ${before} rows`);
          const { snapshot } = context.outputs.preflight as Snapshot;
          await models.dropSnapshot(snapshot);
          context.log(`${after} rows; snapshot ${snapshot} dropped`);
          return { rows: after };
        },
      },
      rollback: {
        onInterrupt: 'retry',
        async run(context) {
          const { model, snapshot, unique_key: uniqueKey } = context.outputs.preflight as Snapshot;
          const rows = await models.restore(model, snapshot, uniqueKey);
          context.log(`${model} restored from ${snapshot}: ${rows} rows`);
          return { restored_rows: rows, snapshot };
        },
      },
    },
  };
}
