import { DomainError } from '../../../kernel/errors/index.ts';
import type { StateStore } from '../../../kernel/state/index.ts';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import { sql, type TenantScope } from '../../../platform/tenancy/index.ts';

export const TOUCH_CHANNELS = ['call', 'email', 'meeting', 'chat'] as const;
export type TouchChannel = (typeof TOUCH_CHANNELS)[number];

/** A lead's first touch, as the SLA and the reports count it. */
export interface Touch {
  leadId: string;
  touchedAt: Date;
  touchedBy: string;
  channel: TouchChannel;
  /** False when the lead had been touched before: this is that first touch. */
  first: boolean;
  assignee: string | null;
  dueAt: Date | null;
  /** From routing (or, unrouted, from intake) to the first touch. */
  minutesToTouch: number;
  /** Whether the first touch came by the SLA's due time; null without an SLA. */
  withinSla: boolean | null;
}

/**
 * First touches of leads (`revops.lead.touched`): what stops a lead's SLA clock. The clock is the
 * platform's (`now` from the caller), the same one routing and the SLA sweep read.
 */
export class LeadTouches {
  constructor(private readonly deps: { state: StateStore; stateScope(tenant: string): TenantScope; emit(tenant: string, events: readonly PlatformEvent[]): Promise<void> }) {}

  /** Refuses a touch of a lead the tenant does not have. */
  async check(tenant: string, leadId: string): Promise<void> {
    await this.lead(tenant, leadId);
  }

  /** Records the lead's first touch (a later one answers the first and changes nothing). */
  async touch(tenant: string, leadId: string, by: string, channel: TouchChannel, at: Date): Promise<Touch> {
    const lead = await this.lead(tenant, leadId);
    const added = await this.deps.state.transaction((tx) => tx.insertNew('revops_lead_touches', [{ tenant_id: tenant, lead_id: leadId, touched_at: at, touched_by: by, channel }]));
    const scope = this.deps.stateScope(tenant);
    const [first] = await scope.query(sql`SELECT touched_at, touched_by, channel FROM ${scope.table('revops_lead_touches')} WHERE lead_id = ${leadId}`);
    const touchedAt = new Date(first!.touched_at as Date);
    const since = lead.routedAt ?? lead.receivedAt;
    const touch: Touch = {
      leadId, touchedAt, touchedBy: String(first!.touched_by), channel: String(first!.channel) as TouchChannel, first: added === 1, assignee: lead.assignee, dueAt: lead.dueAt,
      minutesToTouch: Math.round((touchedAt.getTime() - since.getTime()) / 600) / 100, withinSla: lead.dueAt ? touchedAt <= lead.dueAt : null,
    };
    if (touch.first) {
      await this.deps.emit(tenant, [{
        specversion: '1.0', id: `${leadId}:touched`, source: '/companyos/revops/leads', type: 'revops.lead.touched', time: touchedAt.toISOString(), subject: leadId, tenantid: tenant,
        data: {
          lead_id: leadId, touched_by: touch.touchedBy, channel, assignee: lead.assignee, pool: lead.pool, rule: lead.rule,
          minutes_to_touch: touch.minutesToTouch, due_at: lead.dueAt?.toISOString() ?? null, within_sla: touch.withinSla,
          // As numbers too, for report queries on either engine: the SLA in minutes (0 without one), 1 when kept.
          sla_minutes: lead.dueAt ? Math.round((lead.dueAt.getTime() - since.getTime()) / 60_000) : 0, kept_sla: touch.withinSla ? 1 : 0,
        },
      }]);
    }
    return touch;
  }

  private async lead(tenant: string, leadId: string) {
    const scope = this.deps.stateScope(tenant);
    // A lead reassigned on a breach is its new assignee's, due by their time.
    const [row] = await scope.query(sql`SELECT l.received_at, r.routed_at, coalesce(a.to_assignee, r.assignee) AS assignee, r.pool, r.rule, coalesce(a.due_at, r.due_at) AS due_at
      FROM ${scope.table('revops_leads', { as: 'l' })} LEFT JOIN ${scope.table('revops_routings', { as: 'r' })} ON r.lead_id = l.lead_id
      LEFT JOIN ${scope.table('revops_reassignments', { as: 'a' })} ON a.lead_id = l.lead_id WHERE l.lead_id = ${leadId}`);
    if (!row) throw new DomainError('LEAD_NOT_FOUND', `No lead ${leadId} in ${tenant}.`);
    const date = (v: unknown) => (v ? new Date(v as Date) : null);
    return {
      receivedAt: new Date(row.received_at as Date), routedAt: date(row.routed_at), dueAt: date(row.due_at),
      assignee: row.assignee ? String(row.assignee) : null, pool: row.pool ? String(row.pool) : null, rule: row.rule ? String(row.rule) : null,
    };
  }
}
