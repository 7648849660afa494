import type { StateStore } from '../../kernel/state/index.ts';
import type { PlatformEvent } from '../ingest/index.ts';
import type { LedgerStore } from '../governance/index.ts';
import { loadRuns, type RunRecord, type TransitionRecord } from './run-records.ts';
import type { RunStatus } from './workflow-type.ts';

/** Runs read at once when transitions are metered again at start (`meterSince`). */
const RUNS_PER_READ = 200;

/** The outcomes of a run's approval: the first of them is metered as the request's outcome. */
const APPROVAL_OUTCOMES: readonly RunStatus[] = ['approved', 'denied', 'expired', 'cancelled', 'preflight-failed'];
/** The ends of an execution (`active`: a grant in force, which counts as succeeded). */
const EXECUTION_OUTCOMES: readonly RunStatus[] = ['succeeded', 'failed', 'rolled-back', 'active'];

export interface RunMeteringDeps {
  state: StateStore;
  ledger: LedgerStore;
  /** The pack that declares a workflow type; undefined for a type no pack of this process declares. */
  packOf(type: string): string | undefined;
  /** Where the events go: sent now (awaited) or queued for a batch. A failure is logged, never the caller's. */
  send(tenant: string, events: PlatformEvent[]): Promise<void> | void;
  log: { error(fields: object, message: string): void };
}

/**
 * A run's committed transitions as metering events in the run's tenant: always `companyos.workflow.transition`;
 * at the run's approval outcome `<pack>.requests_total` (`high_risk_ops.requests_total`), and at the end of its
 * execution `workflow.executions_total`. Ids derive from the run, so a resend after a crash is deduplicated.
 */
export class RunMetering {
  constructor(private readonly deps: RunMeteringDeps) {}

  async meter(run: RunRecord, transition: TransitionRecord): Promise<void> {
    const events = await this.events(run, transition, this.deps.packOf(run.type) ?? 'unknown');
    try {
      await this.deps.send(run.tenant, events);
    } catch (error) {
      this.deps.log.error({ err: error, run: run.runId, seq: transition.seq }, 'could not record the workflow transition event');
    }
  }

  /**
   * Meters again every transition committed at or after `since` and before `until` (all tenants: the platform's own
   * recovery at start, never a tenant's read), `RUNS_PER_READ` runs at a time: the events a kill took from a queued
   * batch come back, and ingest's dedupe drops the ones already stored. Answers how many transitions it metered.
   * Stops between reads once `signal` aborts (throwing its reason).
   */
  async meterSince(since: Date, until: Date, signal?: AbortSignal): Promise<number> {
    const rows = await this.deps.state.query(
      'SELECT DISTINCT tenant_id, run_id FROM workflow_transitions WHERE occurred_at >= ? AND occurred_at < ? ORDER BY tenant_id, run_id', [since, until],
    );
    const byTenant = new Map<string, string[]>();
    for (const row of rows) byTenant.set(String(row.tenant_id), [...(byTenant.get(String(row.tenant_id)) ?? []), String(row.run_id)]);
    let metered = 0;
    for (const [tenant, runIds] of byTenant) {
      for (let at = 0; at < runIds.length; at += RUNS_PER_READ) {
        signal?.throwIfAborted();
        for (const run of await loadRuns(this.deps.state, tenant, runIds.slice(at, at + RUNS_PER_READ))) {
          // A type no pack of this process declares any more: its pack is unknown here, so its events are not made up.
          if (this.deps.packOf(run.type) === undefined) continue;
          for (const transition of run.transitions.filter((t) => t.at >= since && t.at < until)) {
            await this.meter(run, transition);
            metered++;
          }
        }
      }
    }
    return metered;
  }

  /** Whether `meterSince(since, until)` would meter anything: a transition in the span, of a type a pack declares. */
  async committedBetween(since: Date, until: Date): Promise<boolean> {
    const rows = await this.deps.state.query(
      `SELECT DISTINCT runs.workflow_type FROM workflow_transitions transitions
         JOIN workflow_runs runs ON runs.tenant_id = transitions.tenant_id AND runs.run_id = transitions.run_id
        WHERE transitions.occurred_at >= ? AND transitions.occurred_at < ?`,
      [since, until],
    );
    return rows.some((row) => this.deps.packOf(String(row.workflow_type)) !== undefined);
  }

  /** The transition's events, as the run stood at it (metered again at a start, the run may have gone on since). */
  private async events(run: RunRecord, transition: TransitionRecord, pack: string): Promise<PlatformEvent[]> {
    const base = { specversion: '1.0' as const, source: '/companyos/workflows', time: transition.at.toISOString(), subject: run.runId, tenantid: run.tenant };
    const events: PlatformEvent[] = [{
      ...base, id: transition.receiptId, type: 'companyos.workflow.transition',
      data: {
        run_id: run.runId, workflow_type: run.type, pack, seq: transition.seq, status: transition.status,
        event: String(transition.detail.event ?? transition.status), actor: transition.actor, receipt_id: transition.receiptId,
      },
    }];
    const earlier = run.transitions.filter((t) => t.seq < transition.seq);
    if (APPROVAL_OUTCOMES.includes(transition.status) && !earlier.some((t) => APPROVAL_OUTCOMES.includes(t.status))) {
      const upTo = [...earlier, transition];
      const held = await this.deps.ledger.entries(run.tenant, upTo.map((t) => t.receiptId)).catch(() => []);
      events.push({
        ...base, id: `${run.runId}:requests_total`, type: `${pack.replaceAll('-', '_')}.requests_total`,
        data: {
          run_id: run.runId, operation: run.type, workflow_type: run.type, pack, status: transition.status,
          approval_latency_ms: transition.at.getTime() - run.requestedAt.getTime(), approvers: run.approvals.filter((a) => a.decision === 'approve').length,
          receipt_complete: held.length === upTo.length,
        },
      });
    }
    const executing = earlier.find((t) => t.status === 'executing');
    if (executing && EXECUTION_OUTCOMES.includes(transition.status)) {
      events.push({
        ...base, id: `${run.runId}:executions_total`, type: 'workflow.executions_total',
        data: {
          run_id: run.runId, workflow_type: run.type, pack: pack.replaceAll('-', '_'), status: transition.status === 'active' ? 'succeeded' : transition.status,
          runner: String(transition.detail.runner ?? 'api'), duration_ms: transition.at.getTime() - executing.at.getTime(),
        },
      });
    }
    return events;
  }
}
