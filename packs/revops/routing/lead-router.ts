import { DomainError } from '../../../kernel/errors/index.ts';
import type { StateStore } from '../../../kernel/state/index.ts';
import { KeyedMutex, type LedgerStore } from '../../../platform/governance/index.ts';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import { join, sql, type TenantScope } from '../../../platform/tenancy/index.ts';
import { route, type MemberLoad, type RoutingDecision, type RoutingInput } from './router.ts';
import { parseRoutingPolicy, type RoutingField, type RoutingPolicy } from './routing-policy.ts';
import { appendRecordReceipt } from '../../../platform/governance/index.ts';
import { owedReceipts } from '../owed-receipts.ts';
import { appendRoutingReceipt, routingReceiptId } from './routing-receipt.ts';

/** A lead as the router is handed it. */
export interface RoutableLead {
  id: string;
  attributes: Partial<Record<RoutingField, string | number>>;
}

/** A lead's routing as stored and receipted. */
export interface Routing {
  leadId: string;
  routedAt: Date;
  policyRevision: string;
  rule: string | null;
  pool: string | null;
  assignee: string | null;
  reason: string | null;
  receiptId: string;
  /** When the assignee must have touched it by (the rule's SLA); null without one. */
  dueAt: Date | null;
  /** The decision as receipted (input, rules tried, loads, outcome). */
  record: RoutingRecord;
}

export interface RoutingRecord extends Omit<RoutingDecision, 'loads'> {
  lead_id: string;
  at: string;
  attributes: RoutableLead['attributes'];
  loads: Record<string, MemberLoad>;
}

export interface ReplayedLead {
  lead_id: string;
  recorded: { assignee: string | null; rule: string | null };
  replayed: { assignee: string | null; rule: string | null };
  same: boolean;
}

export interface LeadRouterDeps {
  state: StateStore;
  stateScope(tenant: string): TenantScope;
  ledger: LedgerStore;
  emit(tenant: string, events: readonly PlatformEvent[]): Promise<void>;
}

/** Routing attempts when another writer takes a lead first (another replica). */
const ATTEMPTS = 3;

/**
 * Routes a tenant's new leads by its published routing policy: each decision stored once per lead
 * (the store's unique key: no lead is routed twice, by any number of routers), receipted in the
 * tenant's ledger with its record's digest, and counted as an event. The caller holds the tenant's
 * intake turn, so a pool's loads are read once per call and each assignment counts for the next.
 */
export class LeadRouter {
  /** Tenants whose owed receipts this process has appended (at its first routing of theirs, or after an append failed). */
  private readonly settled = new Set<string>();
  /** A tenant's routings one at a time in this process: each reads the loads the one before left. */
  private readonly turns = new KeyedMutex();

  constructor(private readonly deps: LeadRouterDeps) {}

  /** The tenant's policy in force: the one published last; undefined before any is. */
  async activePolicy(tenant: string): Promise<RoutingPolicy | undefined> {
    const scope = this.deps.stateScope(tenant);
    const [row] = await scope.query(sql`SELECT policy FROM ${scope.table('revops_routing_policies')} ORDER BY published_at DESC, revision DESC LIMIT 1`);
    return row ? parseRoutingPolicy(JSON.parse(String(row.policy))) : undefined;
  }

  async policyAt(tenant: string, revision: string): Promise<RoutingPolicy | undefined> {
    const scope = this.deps.stateScope(tenant);
    const [row] = await scope.query(sql`SELECT policy FROM ${scope.table('revops_routing_policies')} WHERE revision = ${revision}`);
    return row ? parseRoutingPolicy(JSON.parse(String(row.policy))) : undefined;
  }

  /** Puts `input` in force for the tenant's next leads (publishing again a revision published before puts it back). */
  async publish(tenant: string, input: unknown, by: string, at: Date): Promise<RoutingPolicy> {
    const policy = parseRoutingPolicy(input);
    const text = JSON.stringify({ pools: policy.pools, rules: policy.rules });
    await this.deps.state.transaction(async (tx) => {
      // Published before: published again, now.
      const again = await tx.compareAndSet('revops_routing_policies', { tenant_id: tenant, revision: policy.revision }, {}, { published_at: at, published_by: by });
      if (!again) await tx.insert('revops_routing_policies', [{ tenant_id: tenant, revision: policy.revision, policy: text, published_at: at, published_by: by }]);
    });
    return policy;
  }

  /**
   * Routes `leads` (new ones, not routed before as far as the caller knows; one that was is answered
   * as it was) at `at`; none when the tenant has no policy yet.
   * A tenant's routings run one at a time in this process, so each reads the loads the one before
   * left (across processes the unique key keeps a lead to one routing).
   */
  async route(tenant: string, leads: readonly RoutableLead[], at: Date): Promise<Map<string, Routing>> {
    if (leads.length === 0) return new Map();
    const release = await this.turns.acquire([`revops-route/${tenant}`]);
    let decided: { routed: Map<string, Routing>; receipted: Promise<unknown> };
    try {
      decided = await this.routeInTurn(tenant, leads, at);
    } finally {
      release();
    }
    // Receipts and events once the next routing may read the loads this one left.
    await decided.receipted;
    return decided.routed;
  }

  /** Decides and stores the routings; answers them with their receipts and events under way. */
  private async routeInTurn(tenant: string, leads: readonly RoutableLead[], at: Date): Promise<{ routed: Map<string, Routing>; receipted: Promise<unknown> }> {
    const routed = new Map<string, Routing>();
    const done = Promise.resolve();
    await this.settleReceipts(tenant);
    const policy = await this.activePolicy(tenant);
    if (!policy) return { routed, receipted: done };
    for (let attempt = 1; ; attempt++) {
      // Leads are handed over unrouted; one routed meanwhile (another router, a retry) fails the insert below, and is read here.
      if (attempt > 1) for (const routing of await this.routings(tenant, leads.map((l) => l.id))) routed.set(routing.leadId, routing);
      const todo = leads.filter((lead) => !routed.has(lead.id));
      if (todo.length === 0) return { routed, receipted: done };
      const loads = await this.loads(tenant);
      const fresh = todo.map((lead): Routing => {
        const input: RoutingInput = { leadId: lead.id, attributes: lead.attributes, at };
        const decision = route(policy, input, (pool) => loads.get(pool) ?? {});
        countAssignment(loads, decision);
        const record: RoutingRecord = { lead_id: lead.id, at: at.toISOString(), attributes: lead.attributes, ...decision };
        const minutes = policy.rules.find((rule) => rule.id === decision.rule)?.sla_minutes;
        return {
          leadId: lead.id, routedAt: at, policyRevision: policy.revision, rule: decision.rule, pool: decision.pool, assignee: decision.assignee,
          reason: decision.reason ?? null, receiptId: routingReceiptId(lead.id), dueAt: decision.assignee && minutes ? new Date(at.getTime() + minutes * 60_000) : null, record,
        };
      });
      try {
        await this.deps.state.transaction((tx) => tx.insert('revops_routings', fresh.map((r) => ({
          tenant_id: tenant, lead_id: r.leadId, routed_at: at, policy_revision: r.policyRevision, rule: r.rule, pool: r.pool, assignee: r.assignee,
          reason: r.reason, record: JSON.stringify(r.record), receipt_id: r.receiptId, due_at: r.dueAt,
        }))));
      } catch (error) {
        // Another router took one of these leads first: read what it decided, route the rest on fresh loads.
        if (error instanceof DomainError && error.code === 'STATE_CONFLICT' && attempt < ATTEMPTS) continue;
        throw error;
      }
      const receipted = Promise.all(fresh.map((r) => this.appendReceipt(tenant, r)))
        .catch((error: unknown) => {
          // Stored but not all receipted: the next call appends what is owed.
          this.settled.delete(tenant);
          throw error;
        });
      for (const r of fresh) routed.set(r.leadId, r);
      return { routed, receipted: Promise.all([receipted, this.deps.emit(tenant, fresh.map((r) => routingEvent(tenant, r)))]) };
    }
  }

  /**
   * A lead left untouched past its SLA, handed to another member of its pool when the pool says so
   * (`reassign_on_breach`): chosen as routing chooses (in hours, under capacity, least loaded,
   * seeded ties) among the others, with a new due time by the same rule; once per lead whoever
   * sweeps (the unique key), receipted, and reported as `revops.lead.reassigned`. Undefined when
   * the pool does not reassign or nobody else can take it.
   */
  async reassign(tenant: string, leadId: string, at: Date): Promise<{ from: string; to: string; dueAt: Date | null } | undefined> {
    const [routing] = await this.routings(tenant, [leadId]);
    if (!routing?.assignee || !routing.pool) return undefined;
    const policy = await this.policyAt(tenant, routing.policyRevision);
    const pool = policy?.pools[routing.pool];
    if (!policy || !pool?.reassign_on_breach) return undefined;
    const others = { ...pool, members: pool.members.filter((m) => m.id !== routing.assignee) };
    const loads = (await this.loads(tenant)).get(routing.pool) ?? {};
    const decision = route({ ...policy, pools: { [routing.pool]: others }, rules: [{ id: routing.rule ?? 'reassign', pool: routing.pool }] }, { leadId, attributes: routing.record.attributes, at }, () => loads);
    if (!decision.assignee) return undefined;
    const minutes = policy.rules.find((rule) => rule.id === routing.rule)?.sla_minutes;
    const dueAt = minutes ? new Date(at.getTime() + minutes * 60_000) : null;
    const receiptId = `reassign-${leadId}`;
    const record = JSON.stringify({
      lead_id: leadId, at: at.toISOString(), reason: 'sla-breach', from: routing.assignee, to: decision.assignee, pool: routing.pool, rule: routing.rule,
      policy_revision: policy.revision, eligible: decision.eligible, loads: decision.loads, due_at: dueAt?.toISOString() ?? null,
    });
    const added = await this.deps.state.transaction((tx) => tx.insertNew('revops_reassignments', [{
      tenant_id: tenant, lead_id: leadId, from_assignee: routing.assignee, to_assignee: decision.assignee, reassigned_at: at, due_at: dueAt, record, receipt_id: receiptId,
    }]));
    if (added === 0) return undefined;
    await Promise.all([
      appendRecordReceipt(this.deps.ledger, {
        tenant, receiptId, actor: 'revops-router', action: 'revops.lead.reassign', targetName: `revops-lead/${leadId}`, decisionId: `reassignment:${leadId}`,
        bundleRevision: `routing-policy:${policy.revision}`, approvers: [], at, record,
      }),
      this.deps.emit(tenant, [{
        specversion: '1.0', id: `${leadId}:reassigned`, source: '/companyos/revops/routing', type: 'revops.lead.reassigned', time: at.toISOString(), subject: leadId, tenantid: tenant,
        data: { lead_id: leadId, from: routing.assignee, to: decision.assignee, pool: routing.pool, rule: routing.rule, due_at: dueAt?.toISOString() ?? null, receipt_id: receiptId },
      }]),
    ]);
    return { from: routing.assignee, to: decision.assignee, dueAt };
  }

  /** The tenant's routings of `leadIds`. */
  async routings(tenant: string, leadIds: readonly string[]): Promise<Routing[]> {
    if (leadIds.length === 0) return [];
    const scope = this.deps.stateScope(tenant);
    const rows = await scope.query(sql`SELECT * FROM ${scope.table('revops_routings')} WHERE lead_id IN (${join(leadIds.map((id) => sql`${id}`), ', ')})`);
    return rows.map(toRouting);
  }

  /**
   * Routes the tenant's last `last` routed leads again: by the policy each was routed by, from its
   * recorded input and loads (each must come out the same), or by `draft` — who would have been
   * routed differently, on the loads of the day, before the draft is published.
   */
  async replay(tenant: string, options: { last: number; draft?: unknown }): Promise<{ policy_revision: string | null; leads: ReplayedLead[] }> {
    const draft = options.draft === undefined ? undefined : parseRoutingPolicy(options.draft);
    const scope = this.deps.stateScope(tenant);
    const rows = (await scope.query(sql`SELECT * FROM ${scope.table('revops_routings')} ORDER BY routed_at DESC, lead_id DESC LIMIT ${Math.max(1, Math.min(10_000, Math.trunc(options.last)))}`)).map(toRouting).reverse();
    const policies = new Map<string, RoutingPolicy | undefined>();
    // A draft starts from the loads before the first replayed lead: today's, less what the replayed leads added.
    const draftLoads = draft ? await this.loads(tenant) : undefined;
    for (const routing of draftLoads ? rows : []) {
      const load = routing.assignee ? draftLoads!.get(routing.pool!)?.[routing.assignee] : undefined;
      if (load) draftLoads!.get(routing.pool!)![routing.assignee!] = { routed: load.routed - 1, open: load.open - 1 };
    }
    const leads: ReplayedLead[] = [];
    for (const routing of rows) {
      const input = { leadId: routing.leadId, attributes: routing.record.attributes, at: new Date(routing.record.at) };
      let decision: RoutingDecision;
      if (draft) {
        decision = route(draft, input, (pool) => draftLoads!.get(pool) ?? {});
        countAssignment(draftLoads!, decision);
      } else {
        if (!policies.has(routing.policyRevision)) policies.set(routing.policyRevision, await this.policyAt(tenant, routing.policyRevision));
        const recordedBy = policies.get(routing.policyRevision);
        if (!recordedBy) throw new DomainError('ROUTING_POLICY_INVALID', `Routing policy ${routing.policyRevision} is not among the tenant's published ones.`);
        decision = route(recordedBy, input, () => routing.record.loads);
      }
      const recorded = { assignee: routing.assignee, rule: routing.rule };
      const replayed = { assignee: decision.assignee, rule: decision.rule };
      leads.push({ lead_id: routing.leadId, recorded, replayed, same: recorded.assignee === replayed.assignee && recorded.rule === replayed.rule });
    }
    return { policy_revision: draft?.revision ?? null, leads };
  }

  /** Loads of every pool member, from the tenant's routings: leads ever routed to them, and those not touched yet (open). */
  private async loads(tenant: string): Promise<Map<string, Record<string, MemberLoad>>> {
    const scope = this.deps.stateScope(tenant);
    const rows = await scope.query<{ pool: string; assignee: string; n: number | bigint; open: number | bigint }>(
      sql`SELECT r.pool, r.assignee, count(*) AS n, count(*) - count(t.lead_id) AS open
            FROM ${scope.table('revops_routings', { as: 'r' })} LEFT JOIN ${scope.table('revops_lead_touches', { as: 't' })} ON t.lead_id = r.lead_id
           WHERE r.assignee IS NOT NULL GROUP BY r.pool, r.assignee`,
    );
    const loads = new Map<string, Record<string, MemberLoad>>();
    for (const row of rows) {
      const pool = loads.get(row.pool) ?? {};
      pool[row.assignee] = { routed: Number(row.n), open: Number(row.open) };
      loads.set(row.pool, pool);
    }
    return loads;
  }

  /** Appends the receipts a crash left owed: the tenant's routings stored whose receipt the ledger does not hold. */
  private async settleReceipts(tenant: string): Promise<void> {
    if (this.settled.has(tenant)) return;
    const scope = this.deps.stateScope(tenant);
    const owed = await scope.query(sql`SELECT r.* FROM ${scope.table('revops_routings', { as: 'r' })}
      LEFT JOIN ${scope.table('ledger_entries', { as: 'l' })} ON l.receipt_id = r.receipt_id WHERE l.receipt_id IS NULL`);
    await Promise.all(owed.map((row) => this.appendReceipt(tenant, toRouting(row))));
    this.settled.add(tenant);
  }

  /** The same, every tenant's (the pack's sweep), so a tenant that routes nothing more is settled too; answers how many it appended. */
  async settleOwed(): Promise<number> {
    const owed = await owedReceipts(this.deps.state, 'revops_routings');
    await Promise.all(owed.map((row) => this.appendReceipt(String(row.tenant_id), toRouting(row))));
    return owed.length;
  }

  private appendReceipt(tenant: string, r: Routing): Promise<number> {
    return appendRoutingReceipt(this.deps.ledger, { tenant, leadId: r.leadId, routedAt: r.routedAt, policyRevision: r.policyRevision, record: JSON.stringify(r.record) });
  }
}

/** The next decision sees this one's lead in its assignee's load. */
function countAssignment(loads: Map<string, Record<string, MemberLoad>>, decision: RoutingDecision): void {
  if (!decision.assignee) return;
  const pool = loads.get(decision.pool!) ?? {};
  const load = pool[decision.assignee] ?? { routed: 0, open: 0 };
  pool[decision.assignee] = { routed: load.routed + 1, open: load.open + 1 };
  loads.set(decision.pool!, pool);
}

function routingEvent(tenant: string, routing: Routing): PlatformEvent {
  const routed = Boolean(routing.assignee);
  return {
    specversion: '1.0', id: `${routing.leadId}:${routed ? 'routed' : 'unrouted'}`, source: '/companyos/revops/routing',
    type: routed ? 'revops.lead.routed' : 'revops.lead.disposition', time: routing.routedAt.toISOString(), subject: routing.leadId, tenantid: tenant,
    data: routed
      ? {
        lead_id: routing.leadId, assignee: routing.assignee, pool: routing.pool, rule: routing.rule, policy_revision: routing.policyRevision, receipt_id: routing.receiptId,
        due_at: routing.dueAt?.toISOString() ?? null, segment: routing.record.attributes.segment ?? null,
      }
      : { lead_id: routing.leadId, disposition: 'unrouted', reason: routing.reason, rule: routing.rule, pool: routing.pool, policy_revision: routing.policyRevision },
  };
}

function toRouting(row: Record<string, unknown>): Routing {
  const nullable = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    leadId: String(row.lead_id), routedAt: new Date(row.routed_at as Date), policyRevision: String(row.policy_revision), rule: nullable(row.rule),
    pool: nullable(row.pool), assignee: nullable(row.assignee), reason: nullable(row.reason), receiptId: String(row.receipt_id),
    dueAt: row.due_at ? new Date(row.due_at as Date) : null, record: JSON.parse(String(row.record)) as RoutingRecord,
  };
}
