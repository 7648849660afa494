import type { StateReader } from '../../kernel/state/index.ts';
import type { PlatformEvent } from '../ingest/index.ts';
import { LATEST_TRANSITIONS } from './run-records.ts';
import type { WorkflowType } from './workflow-type.ts';

/** A run that has waited for its approvals longer than its type's SLA. */
export interface SlaBreach {
  tenant: string;
  runId: string;
  type: string;
  requestedAt: Date;
  waitingMs: number;
  slaMs: number;
}

/** The breach as the event it is reported as once, in the run's tenant: `<pack>.approval_sla_breached`. */
export function slaBreachEvent(breach: SlaBreach, pack: string): PlatformEvent {
  return {
    specversion: '1.0', id: `${breach.runId}:approval_sla_breached`, source: '/companyos/workflows', type: `${pack.replaceAll('-', '_')}.approval_sla_breached`,
    time: new Date(breach.requestedAt.getTime() + breach.slaMs).toISOString(), subject: breach.runId, tenantid: breach.tenant,
    data: { run_id: breach.runId, workflow_type: breach.type, operation: breach.type, requested_at: breach.requestedAt.toISOString(), sla_ms: breach.slaMs, waiting_ms: breach.waitingMs },
  };
}

/** Runs, of every tenant, still awaiting approval past their type's SLA at `now`: for the operators' alerting, not a tenant's read. */
export async function slaBreaches(reader: StateReader, types: ReadonlyMap<string, WorkflowType<unknown>>, now: Date): Promise<SlaBreach[]> {
  const rows = await reader.query<{ tenant_id: string; run_id: string; workflow_type: string; requested_at: Date }>(
    `SELECT r.tenant_id, r.run_id, r.workflow_type, r.requested_at FROM workflow_runs r
       JOIN (${LATEST_TRANSITIONS}) latest ON latest.tenant_id = r.tenant_id AND latest.run_id = r.run_id
      WHERE latest.status = 'awaiting-approval' ORDER BY r.requested_at, r.run_id`,
  );
  return rows.flatMap((row) => {
    const slaMs = types.get(row.workflow_type)?.approvalSlaMs;
    const waitingMs = now.getTime() - row.requested_at.getTime();
    return slaMs !== undefined && waitingMs > slaMs
      ? [{ tenant: row.tenant_id, runId: row.run_id, type: row.workflow_type, requestedAt: row.requested_at, waitingMs, slaMs }]
      : [];
  });
}

/**
 * Reports each run past its approval SLA once per process, as `slaBreachEvent` in its tenant (a resend after a
 * restart is deduplicated by the event's id); a send that fails is logged and tried again on the next sweep.
 */
export class SlaBreachReporter {
  /** Runs whose breach this process has reported. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly options: {
      breaches: () => Promise<SlaBreach[]>;
      types: ReadonlyMap<string, WorkflowType<unknown>>;
      emit?: (tenant: string, events: PlatformEvent[]) => Promise<void>;
      log: { error(fields: object, message: string): void };
    },
  ) {}

  /** Reports what is new, and answers how many runs are overdue per type (every type, zero included). */
  async report(): Promise<Map<string, number>> {
    const { breaches, types, emit, log } = this.options;
    const overdue = new Map([...types.keys()].map((type) => [type, 0]));
    for (const breach of await breaches()) {
      overdue.set(breach.type, (overdue.get(breach.type) ?? 0) + 1);
      if (this.reported.has(breach.runId)) continue;
      try {
        await emit?.(breach.tenant, [slaBreachEvent(breach, types.get(breach.type)?.pack ?? 'unknown')]);
        this.reported.add(breach.runId);
      } catch (error) {
        log.error({ err: error, run: breach.runId }, 'could not record the approval SLA breach; the next sweep tries again');
      }
    }
    return overdue;
  }
}

/** The tenant's approval latencies (request to approval, ms) of runs approved since `since`, oldest first. */
export async function approvalLatencies(reader: StateReader, tenant: string, since: Date): Promise<number[]> {
  const rows = await reader.query<{ requested_at: Date; approved_at: Date }>(
    `SELECT r.requested_at, t.occurred_at AS approved_at FROM workflow_runs r
       JOIN workflow_transitions t ON t.tenant_id = r.tenant_id AND t.run_id = r.run_id AND t.status = 'approved'
      WHERE r.tenant_id = ? AND t.occurred_at >= ? ORDER BY t.occurred_at`,
    [tenant, since],
  );
  return rows.map((row) => row.approved_at.getTime() - row.requested_at.getTime());
}

/** The nearest-rank percentile of `values` (undefined when there are none). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
