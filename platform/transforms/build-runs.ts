import type { Warehouse } from '../../kernel/warehouse/index.ts';
import type { BuildTrigger } from './build-project.ts';

export interface BuildRun {
  run_id: string;
  trigger: BuildTrigger;
  started_at: string;
  finished_at: string;
  status: 'success' | 'error';
  models_ok: number;
  models_error: number;
  models_skipped: number;
  message: string;
}

/** The tenant's latest builds from `build_runs`, newest first. */
export async function listBuildRuns(warehouse: Warehouse, tenant: string, limit: number): Promise<BuildRun[]> {
  const rows = await warehouse.query(
    `SELECT run_id, trigger, started_at, finished_at, status, models_ok, models_error, models_skipped, message
     FROM build_runs WHERE tenant_id = ? ORDER BY run_id DESC LIMIT ${Math.max(1, Math.min(1000, Math.floor(limit)))}`,
    [tenant],
  );
  return rows.map((r) => ({
    ...(r as unknown as BuildRun),
    started_at: (r.started_at as Date).toISOString(),
    finished_at: (r.finished_at as Date).toISOString(),
  }));
}
