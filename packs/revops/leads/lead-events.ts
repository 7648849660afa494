import { Ajv, type ValidateFunction } from 'ajv';
import type { StateStore } from '../../../kernel/state/index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import { join, sql, type TenantScope } from '../../../platform/tenancy/index.ts';
import { leadInputSchema } from './lead-input-schema.ts';
import type { LeadInput, LeadIntake } from './lead-intake.ts';

/** The CloudEvents type a lead arrives as over `/v1/events` or Kafka: its `data` is the lead as `POST /v1/revops/leads` takes it. */
export const LEAD_EVENT_TYPE = 'revops.lead.submitted';
/** Who the leads taken from the event stream are recorded as taken by. */
const TAKEN_BY = 'connector:events';
const CURSOR_TABLE = 'revops_lead_event_cursor';
const REFUSED_TABLE = 'revops_lead_events_refused';
/** How far before the furthest event read each pass reads again: longer than any ingest takes to commit. */
const SLACK_MS = 10 * 60 * 1000;

// Compiled on the first lead event, not when the module loads (every CLI command loads it).
let compiled: ValidateFunction | undefined;
const leadInput = (): ValidateFunction => (compiled ??= new Ajv({ allErrors: false, strict: false }).compile(leadInputSchema));

interface LeadEventDeps {
  warehouse: Warehouse;
  state: StateStore;
  stateScope(tenant: string): TenantScope;
  /** The platform operator's tenant: the cursor over the stream is its operational state. */
  operatorTenant: string;
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
  leads: Pick<LeadIntake, 'take'>;
  /** The platform's clock (what a disposition is timed at). */
  now(): Date;
}

/**
 * Takes in the leads sent as `revops.lead.submitted` events, in every tenant (an operator's job,
 * run on the server's sweep): each event's data through the tenant's intake as if posted — the
 * event id as the lead id when the data names none, so a redelivery adds nothing. The events
 * table is the queue. An event is stamped when its ingest starts and may commit a little later,
 * so each pass re-reads a stretch (`SLACK_MS`) before the furthest point read and skips what it
 * took or refused before: nothing committed late is skipped, nothing is taken twice. An event
 * whose data is no lead is answered with a `revops.lead.disposition` event (`invalid`), once,
 * and stays in the stream. Answers how many events it took or refused this pass.
 */
export async function takeSubmittedLeads(deps: LeadEventDeps): Promise<number> {
  const operator = deps.stateScope(deps.operatorTenant);
  const [cursor] = await operator.query<{ ingested_at: Date }>(sql`SELECT ingested_at FROM ${operator.table(CURSOR_TABLE)}`);
  const from = new Date((cursor ? new Date(cursor.ingested_at).getTime() : 0) - SLACK_MS);
  const rows = await deps.warehouse.query<{ tenant_id: string; id: string; data: string | null; ingested_at: Date }>(
    `SELECT tenant_id, id, data, ingested_at FROM events WHERE type = ? AND ingested_at >= ? ORDER BY ingested_at, tenant_id, id`,
    [LEAD_EVENT_TYPE, from],
  );
  if (rows.length === 0) return 0;
  const byTenant = new Map<string, { leads: Map<string, LeadInput>; invalid: Map<string, string> }>();
  for (const row of rows) {
    const batch = byTenant.get(row.tenant_id) ?? { leads: new Map(), invalid: new Map() };
    const data: unknown = typeof row.data === 'string' ? safeJson(row.data) : row.data;
    const input = data && typeof data === 'object' && !Array.isArray(data) ? { id: row.id, ...(data as Record<string, unknown>) } : data;
    const validate = leadInput();
    if (validate(input)) {
      const lead = input as LeadInput;
      // One id sent twice: the first stands (the intake answers the second as the first).
      if (!batch.leads.has(lead.id!)) batch.leads.set(lead.id!, lead);
    } else {
      const first = validate.errors?.[0];
      batch.invalid.set(row.id, first ? `${first.instancePath || 'data'} ${first.message}` : 'not a lead');
    }
    byTenant.set(row.tenant_id, batch);
  }
  let handled = 0;
  for (const [tenant, { leads, invalid }] of byTenant) {
    const done = await known(deps.stateScope(tenant), [...leads.keys()], [...invalid.keys()]);
    const fresh = [...leads.values()].filter((lead) => !done.leads.has(lead.id!));
    const refused = [...invalid].filter(([id]) => !done.refused.has(id));
    if (fresh.length > 0) await deps.leads.take(tenant, fresh, TAKEN_BY);
    if (refused.length > 0) {
      const at = deps.now();
      await deps.state.transaction((tx) => tx.insertNew(REFUSED_TABLE, refused.map(([id, reason]) => ({ tenant_id: tenant, event_id: id, reason, refused_at: at }))));
      await deps.emit(tenant, refused.map(([id, reason]) => invalidLead(tenant, id, at, reason)));
    }
    handled += fresh.length + refused.length;
  }
  const furthest = new Date(rows.at(-1)!.ingested_at);
  await deps.state.transaction(async (tx) => {
    const moved = await tx.compareAndSet(CURSOR_TABLE, { tenant_id: deps.operatorTenant }, {}, { ingested_at: furthest });
    if (!moved) await tx.insert(CURSOR_TABLE, [{ tenant_id: deps.operatorTenant, ingested_at: furthest }]);
  });
  return handled;
}

/** Which of these lead ids the tenant has, and which of these events were refused before. */
async function known(scope: TenantScope, leadIds: string[], eventIds: string[]): Promise<{ leads: Set<string>; refused: Set<string> }> {
  const among = (ids: string[]) => join(ids.map((id) => sql`${id}`), ', ');
  const [leads, refused] = await Promise.all([
    leadIds.length ? scope.query<{ lead_id: string }>(sql`SELECT lead_id FROM ${scope.table('revops_leads')} WHERE lead_id IN (${among(leadIds)})`) : [],
    eventIds.length ? scope.query<{ event_id: string }>(sql`SELECT event_id FROM ${scope.table(REFUSED_TABLE)} WHERE event_id IN (${among(eventIds)})`) : [],
  ]);
  return { leads: new Set(leads.map((r) => r.lead_id)), refused: new Set(refused.map((r) => r.event_id)) };
}

function invalidLead(tenant: string, eventId: string, at: Date, reason: string): PlatformEvent {
  return {
    specversion: '1.0', id: `${eventId}:invalid`, source: '/companyos/revops/leads', type: 'revops.lead.disposition', time: at.toISOString(), subject: eventId, tenantid: tenant,
    data: { lead_id: eventId, disposition: 'invalid', reason: `the ${LEAD_EVENT_TYPE} event is not a lead: ${reason}` },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
