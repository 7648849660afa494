import type { StateStore } from '../../../kernel/state/index.ts';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';

/** Untouched leads past their SLA now, per tenant that has routed leads with an SLA (zero included): what the alert reads. Every tenant's, as the sweep. */
export async function leadsPastSla(state: StateStore, at: Date): Promise<Map<string, number>> {
  const rows = await state.query<{ tenant_id: string; n: number | bigint }>(
    // A reassigned lead is due by its new assignee's time.
    `SELECT r.tenant_id, count(*) FILTER (WHERE coalesce(a.due_at, r.due_at) <= ? AND t.lead_id IS NULL) AS n FROM revops_routings r
       LEFT JOIN revops_lead_touches t ON t.tenant_id = r.tenant_id AND t.lead_id = r.lead_id
       LEFT JOIN revops_reassignments a ON a.tenant_id = r.tenant_id AND a.lead_id = r.lead_id
      WHERE r.due_at IS NOT NULL GROUP BY r.tenant_id`,
    [at],
  );
  return new Map(rows.map((row) => [row.tenant_id, Number(row.n)]));
}

/**
 * Every tenant's routed leads past their SLA's due time without a first touch: each recorded as a
 * breach once (`revops_sla_breaches`) and reported as a `revops.lead.sla_breached` event in its
 * tenant's stream; when its pool says so, handed to another member (`reassign`). The server runs
 * it on its sweep; the platform's clock says what time it is. Answers the breaches it found.
 * Reads every tenant's routings: an operator's job, never a tenant's read.
 */
export async function sweepSlaBreaches(
  deps: { state: StateStore; emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>; reassign?(tenant: string, leadId: string, at: Date): Promise<unknown> },
  at: Date,
): Promise<number> {
  const due = await deps.state.query<{ tenant_id: string; lead_id: string; assignee: string; due_at: Date; pool: string; rule: string }>(
    `SELECT r.tenant_id, r.lead_id, r.assignee, r.due_at, r.pool, r.rule FROM revops_routings r
       LEFT JOIN revops_lead_touches t ON t.tenant_id = r.tenant_id AND t.lead_id = r.lead_id
       LEFT JOIN revops_sla_breaches b ON b.tenant_id = r.tenant_id AND b.lead_id = r.lead_id
      WHERE r.due_at IS NOT NULL AND r.due_at <= ? AND t.lead_id IS NULL AND b.lead_id IS NULL
      ORDER BY r.tenant_id, r.due_at LIMIT 10000`,
    [at],
  );
  if (due.length === 0) return 0;
  await deps.state.transaction((tx) => tx.insertNew('revops_sla_breaches', due.map((d) => ({ tenant_id: d.tenant_id, lead_id: d.lead_id, assignee: d.assignee, due_at: d.due_at, breached_at: at }))));
  const byTenant = new Map<string, PlatformEvent[]>();
  for (const d of due) {
    const dueAt = new Date(d.due_at);
    const events = byTenant.get(d.tenant_id) ?? [];
    events.push({
      specversion: '1.0', id: `${d.lead_id}:sla_breached`, source: '/companyos/revops/sla', type: 'revops.lead.sla_breached', time: at.toISOString(), subject: d.lead_id, tenantid: d.tenant_id,
      data: { lead_id: d.lead_id, assignee: d.assignee, pool: d.pool, rule: d.rule, due_at: dueAt.toISOString(), minutes_overdue: Math.round((at.getTime() - dueAt.getTime()) / 600) / 100 },
    });
    byTenant.set(d.tenant_id, events);
  }
  for (const [tenant, events] of byTenant) await deps.emit(tenant, events);
  if (deps.reassign) for (const d of due) await deps.reassign(d.tenant_id, d.lead_id, at);
  return due.length;
}
