import type { StateReader, StateStore } from '../../kernel/state/index.ts';
import type { Row } from '../../kernel/warehouse/index.ts';
import type { RunStatus, StepName } from './workflow-type.ts';

export interface TransitionRecord {
  seq: number;
  status: RunStatus;
  actor: string;
  at: Date;
  detail: Record<string, unknown>;
  receiptId: string;
}

export interface ApprovalRecord {
  approver: string;
  roles: string[];
  decision: 'approve' | 'deny';
  rationaleCategory: string;
  rationale: string;
  at: Date;
}

export interface StepRecord {
  step: StepName;
  phase: 'started' | 'completed' | 'failed';
  attempt: number;
  executor: string;
  at: Date;
  output: unknown;
}

/** A run as stored: its request and everything that happened to it since, in order. */
export interface RunRecord {
  tenant: string;
  runId: string;
  type: string;
  requestedBy: string;
  requestedAt: Date;
  rationaleCategory: string;
  rationale: string;
  params: unknown;
  approvalExpiresAt: Date;
  transitions: TransitionRecord[];
  approvals: ApprovalRecord[];
  steps: StepRecord[];
}

/**
 * Each run's latest transition (a `workflow_transitions` row), across tenants: what the platform's sweeps (SLA
 * breaches, grant expiry) select from, never a tenant's read.
 */
export const LATEST_TRANSITIONS = `SELECT t.* FROM workflow_transitions t
  JOIN (SELECT tenant_id, run_id, max(seq) AS seq FROM workflow_transitions GROUP BY tenant_id, run_id) last
    ON last.tenant_id = t.tenant_id AND last.run_id = t.run_id AND last.seq = t.seq`;

export function statusOf(run: RunRecord): RunStatus {
  return run.transitions.at(-1)!.status;
}

export function nextSeq(run: RunRecord): number {
  return run.transitions.length;
}

/** The run `runId` of `tenant`, or undefined: the tenant is part of every read, so another tenant's id finds nothing. */
export async function loadRun(state: StateStore, tenant: string, runId: string): Promise<RunRecord | undefined> {
  return (await loadRuns(state, tenant, [runId]))[0];
}

/**
 * The tenant's runs of `runIds`, in that order (ids it does not hold are left out): four reads,
 * however many runs, in one snapshot — a transition committed between them would otherwise give
 * a run its new approval with its old status.
 */
export function loadRuns(state: StateStore, tenant: string, runIds: readonly string[]): Promise<RunRecord[]> {
  return runIds.length === 0 ? Promise.resolve([]) : state.snapshot((reader) => readRuns(reader, tenant, runIds));
}

/** `loadRuns` on a reader the caller holds: consistent only when it is a snapshot (or a transaction). */
export async function readRuns(reader: StateReader, tenant: string, runIds: readonly string[]): Promise<RunRecord[]> {
  if (runIds.length === 0) return [];
  const ids = runIds.map(() => '?').join(', ');
  const params = [tenant, ...runIds];
  const [runs, transitions, approvals, steps] = await Promise.all([
    reader.query(`SELECT * FROM workflow_runs WHERE tenant_id = ? AND run_id IN (${ids})`, params),
    reader.query(`SELECT * FROM workflow_transitions WHERE tenant_id = ? AND run_id IN (${ids}) ORDER BY seq`, params),
    reader.query(`SELECT * FROM workflow_approvals WHERE tenant_id = ? AND run_id IN (${ids}) ORDER BY decided_at, approver`, params),
    reader.query(`SELECT * FROM workflow_steps WHERE tenant_id = ? AND run_id IN (${ids}) ORDER BY recorded_at, attempt`, params),
  ]);
  const byRun = (rows: Row[]) => {
    const grouped = new Map<string, Row[]>();
    for (const row of rows) {
      const runRows = grouped.get(String(row.run_id));
      if (runRows) runRows.push(row);
      else grouped.set(String(row.run_id), [row]);
    }
    return grouped;
  };
  const [transitionsOf, approvalsOf, stepsOf] = [byRun(transitions), byRun(approvals), byRun(steps)];
  const found = new Map(runs.map((run) => [String(run.run_id), run]));
  return runIds.flatMap((runId) => {
    const run = found.get(runId);
    if (!run) return [];
    return [{
      tenant,
      runId,
      type: String(run.workflow_type),
      requestedBy: String(run.requested_by),
      requestedAt: run.requested_at as Date,
      rationaleCategory: String(run.rationale_category),
      rationale: String(run.rationale),
      params: JSON.parse(String(run.params)),
      approvalExpiresAt: run.approval_expires_at as Date,
      transitions: (transitionsOf.get(runId) ?? []).map(toTransition),
      approvals: (approvalsOf.get(runId) ?? []).map(toApproval),
      steps: (stepsOf.get(runId) ?? []).map(toStep),
    }];
  });
}

function toTransition(row: Row): TransitionRecord {
  return {
    seq: Number(row.seq), status: row.status as RunStatus, actor: String(row.actor), at: row.occurred_at as Date,
    detail: JSON.parse(String(row.detail)) as Record<string, unknown>, receiptId: String(row.receipt_id),
  };
}

function toApproval(row: Row): ApprovalRecord {
  return {
    approver: String(row.approver), roles: JSON.parse(String(row.roles)) as string[], decision: row.decision as 'approve' | 'deny',
    rationaleCategory: String(row.rationale_category), rationale: String(row.rationale), at: row.decided_at as Date,
  };
}

function toStep(row: Row): StepRecord {
  return {
    step: row.step as StepName, phase: row.phase as StepRecord['phase'], attempt: Number(row.attempt), executor: String(row.executor),
    at: row.recorded_at as Date, output: row.output === null ? null : JSON.parse(String(row.output)),
  };
}

/** Where each of the tenant's runs `runIds` stands (its last transition), in one read; another tenant's ids are absent. */
export async function runStatuses(reader: StateReader, tenant: string, runIds: readonly string[]): Promise<Map<string, RunStatus>> {
  if (runIds.length === 0) return new Map();
  const ids = runIds.map(() => '?').join(', ');
  const rows = await reader.query<{ run_id: string; status: RunStatus }>(
    `SELECT t.run_id, t.status FROM workflow_transitions t
       JOIN (SELECT run_id, max(seq) AS seq FROM workflow_transitions WHERE tenant_id = ? AND run_id IN (${ids}) GROUP BY run_id) last
         ON last.run_id = t.run_id AND last.seq = t.seq
      WHERE t.tenant_id = ?`,
    [tenant, ...runIds, tenant],
  );
  return new Map(rows.map((row) => [row.run_id, row.status]));
}

/** What `listRuns` picks: a type, where the runs stand now, how many at most (1–1,000; 100 unless told). */
export interface RunFilter {
  type?: string;
  status?: RunStatus;
  limit?: number;
}

/**
 * The tenant's runs that `filter` picks, newest first, in one snapshot: a run that moved on between the filter and
 * the read would be listed under a status it no longer has. Where a run stands is its latest transition, so the
 * status filter applies before the limit.
 */
export function listRuns(state: StateStore, tenant: string, filter: RunFilter = {}): Promise<RunRecord[]> {
  const conditions = ['r.tenant_id = ?', ...(filter.type ? ['r.workflow_type = ?'] : []), ...(filter.status ? ['t.status = ?'] : [])];
  const limit = Math.min(Math.max(1, Math.trunc(filter.limit ?? 100)), 1000);
  return state.snapshot(async (reader) => readRuns(reader, tenant, (await reader.query<{ run_id: string }>(
    `SELECT r.run_id FROM workflow_runs r
       JOIN (SELECT run_id, max(seq) AS seq FROM workflow_transitions WHERE tenant_id = ? GROUP BY run_id) latest ON latest.run_id = r.run_id
       JOIN workflow_transitions t ON t.tenant_id = r.tenant_id AND t.run_id = r.run_id AND t.seq = latest.seq
      WHERE ${conditions.join(' AND ')}
      ORDER BY r.requested_at DESC, r.run_id LIMIT ${limit}`,
    [tenant, tenant, ...(filter.type ? [filter.type] : []), ...(filter.status ? [filter.status] : [])],
  )).map((row) => row.run_id)));
}
