import { timeOrderedId } from '../../../kernel/ids/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { StateStore } from '../../../kernel/state/index.ts';
import { KeyedMutex } from '../../../platform/governance/index.ts';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import { join, raw, sql, type SqlFragment, type TenantScope } from '../../../platform/tenancy/index.ts';
import { DuplicateIndex, nameBlock, type MatchableLead, type MatchRule } from './duplicates.ts';
import { normalizeLead, type NormalizedLead } from './normalize.ts';
import { OriginRate, isDisposable, type SpamDisposition } from './spam.ts';
import type { LeadRouter, RoutableLead, Routing } from '../routing/lead-router.ts';
import { regionOf } from '../routing/regions.ts';

/** Tenants with more new leads than this are matched against candidates read per call, not kept in memory. */
const KEPT_LEADS = 100_000;

export const LEAD_SOURCES = ['web_form', 'email', 'partner_referral'] as const;
export type LeadSource = (typeof LEAD_SOURCES)[number];
export type LeadStatus = 'new' | 'parked' | 'duplicate' | 'merged';

/** A lead as a client sends it (shape checked by the route's schema). */
export interface LeadInput {
  /** The client's id for the lead: sending it again answers the lead already taken. */
  id?: string;
  source: LeadSource;
  /** Who submitted it (a form's client address, a partner's id): what the rate limit counts per. */
  origin?: string;
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  company?: string;
  website?: string;
  country?: string;
  /** A form field people never see: a bot fills it. */
  honeypot?: string;
  /** What routing rules may look at besides source and country (enriched upstream). */
  segment?: string;
  arr_band?: string;
  icp_score?: number;
  employees?: number;
}

export interface Lead {
  id: string;
  tenant: string;
  source: LeadSource;
  origin: string | null;
  receivedAt: Date;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  domain: string | null;
  country: string | null;
  status: LeadStatus;
  /** Why it was parked (spam). */
  disposition: SpamDisposition | null;
  /** The lead it duplicates (found at intake) or was merged into. */
  duplicateOf: string | null;
  matchRule: MatchRule | null;
  problems: string[];
}

/** What intake says about each lead of a call; `replayed` when the id was taken before (a retry); `routing` once routed. */
export type IntakeOutcome = Lead & { replayed: boolean; routing: Routing | null };


export interface LeadIntakeDeps {
  state: StateStore;
  stateScope(tenant: string): TenantScope;
  emit(tenant: string, events: PlatformEvent[]): Promise<void>;
  /** Routes each new lead by the tenant's published policy; leads stay unrouted without one. */
  router?: LeadRouter;
  now?: () => Date;
  rate?: OriginRate;
}

/**
 * Lead intake: each lead normalized, parked when it is spam (with its disposition — never dropped),
 * linked to the lead it duplicates, or taken as new; stored in one transaction per call and
 * counted as `revops.leads_ingested_total`. A tenant's intakes run one at a time in this process,
 * so a lead sent twice at once is still one lead and one duplicate.
 */
export class LeadIntake {
  private readonly tenants = new KeyedMutex();
  /** Each tenant's new leads indexed for matching, with how many there were (`duplicateIndex`). */
  private readonly indexes = new Map<string, { index: DuplicateIndex; count: number }>();
  private readonly now: () => Date;
  private readonly rate: OriginRate;

  constructor(private readonly deps: LeadIntakeDeps) {
    this.now = deps.now ?? (() => new Date());
    this.rate = deps.rate ?? new OriginRate();
  }

  async take(tenant: string, inputs: readonly LeadInput[], by: string): Promise<IntakeOutcome[]> {
    // Judging and storing, one intake of the tenant at a time; the events and the routing after it, while the next is judged.
    const release = await this.tenants.acquire([`revops-intake/${tenant}`]);
    let stored: { outcomes: IntakeOutcome[]; routable: RoutableLead[]; at: Date };
    try {
      stored = await this.storeInTurn(tenant, inputs, by);
    } finally {
      release();
    }
    const { outcomes, routable, at } = stored;
    const counted = this.deps.emit(tenant, outcomes.filter((o) => !o.replayed).flatMap((o) => [ingestedEvent(o), ...dispositionEvents(o)]));
    if (!this.deps.router) await counted;
    else {
      // A lead sent again that was taken as new but not routed (its first intake was cut short) is routed now.
      const replayed = new Map((await this.deps.router.routings(tenant, outcomes.filter((o) => o.replayed).map((o) => o.id))).map((r) => [r.leadId, r]));
      const unrouted = outcomes.flatMap((o, i) => (o.replayed && o.status === 'new' && !replayed.has(o.id) ? [{ id: o.id, attributes: routingAttributes(inputs[i]!, o) }] : []));
      const [routed] = await Promise.all([this.deps.router.route(tenant, [...routable, ...unrouted], at), counted]);
      for (const [id, routing] of replayed) routed.set(id, routing);
      for (const outcome of outcomes) outcome.routing = routed.get(outcome.id) ?? null;
    }
    return outcomes;
  }

  private async storeInTurn(tenant: string, inputs: readonly LeadInput[], by: string): Promise<{ outcomes: IntakeOutcome[]; routable: RoutableLead[]; at: Date }> {
    const at = this.now();
    const scope = this.deps.stateScope(tenant);
    const ids = inputs.map((input) => input.id ?? timeOrderedId());
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated) throw new DomainError('LEAD_INVALID', `The id ${repeated} appears twice in the batch.`);
    const normalized = inputs.map((input) => normalizeLead({
      email: input.email, phone: input.phone, firstName: input.first_name, lastName: input.last_name, company: input.company, website: input.website, country: input.country,
    }));
    const earlier = new Map((await this.byIds(scope, ids)).map((lead) => [lead.id, lead]));
    const { index, count, kept } = await this.duplicateIndex(tenant, scope, normalized);
    const outcomes: IntakeOutcome[] = [];
    const rows: Record<string, unknown>[] = [];
    const routable: RoutableLead[] = [];
    inputs.forEach((input, i) => {
      const id = ids[i]!;
      const known = earlier.get(id);
      if (known) {
        outcomes.push({ ...known, replayed: true, routing: null });
        return;
      }
      const lead = normalized[i]!;
      const disposition = spamDisposition(tenant, input, lead, this.rate, at);
      const match = disposition ? undefined : index.match(lead);
      const status = disposition ? 'parked' : match ? 'duplicate' : 'new';
      if (status === 'new') index.add({ id, ...lead });
      const outcome: IntakeOutcome = {
        id, tenant, source: input.source, origin: input.origin ?? null, receivedAt: at, email: lead.email, phone: lead.phone, firstName: lead.firstName,
        lastName: lead.lastName, company: lead.company, domain: lead.domain, country: lead.country, status, disposition: disposition ?? null,
        duplicateOf: match?.leadId ?? null, matchRule: match?.rule ?? null, problems: lead.problems, replayed: false, routing: null,
      };
      if (status === 'new') routable.push({ id, attributes: routingAttributes(input, lead) });
      outcomes.push(outcome);
      rows.push({
        tenant_id: tenant, lead_id: id, source: input.source, origin: outcome.origin, received_at: at, email: lead.email, email_key: lead.emailKey, domain: lead.domain,
        phone: lead.phone, first_name: lead.firstName, last_name: lead.lastName, name_key: lead.nameKey, name_block: nameBlock(lead.nameKey), company: lead.company,
        company_key: lead.companyKey, country: lead.country, status, disposition: outcome.disposition, duplicate_of: outcome.duplicateOf, match_rule: outcome.matchRule,
        problems: JSON.stringify(lead.problems), recorded_by: by,
      });
    });
    if (rows.length > 0) await this.deps.state.transaction((tx) => tx.insert('revops_leads', rows as never));
    // The index now holds this call's new leads too: kept once they are stored (a failure above leaves none kept).
    if (kept) this.indexes.set(tenant, { index, count: count + routable.length });
    return { outcomes, routable, at };
  }

  /** Marks `leadId` a duplicate of `intoId` (both the tenant's, `intoId` not merged itself); once. */
  async merge(tenant: string, leadId: string, intoId: string, by: string): Promise<Lead> {
    const lead = await this.checkMerge(tenant, leadId, intoId);
    try {
      await this.deps.state.transaction((tx) => tx.insert('revops_lead_merges', [{ tenant_id: tenant, lead_id: leadId, into_id: intoId, merged_at: this.now(), merged_by: by }]));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'STATE_CONFLICT') throw new DomainError('LEAD_ALREADY_MERGED', `${leadId} was merged meanwhile.`);
      throw error;
    }
    return { ...lead, status: 'merged', duplicateOf: intoId };
  }

  /** Refuses a merge that cannot be done; answers the lead to merge. */
  async checkMerge(tenant: string, leadId: string, intoId: string): Promise<Lead> {
    if (leadId === intoId) throw new DomainError('LEAD_MERGE_INVALID', `A lead cannot merge into itself (${leadId}).`);
    const scope = this.deps.stateScope(tenant);
    const found = new Map((await this.byIds(scope, [leadId, intoId])).map((lead) => [lead.id, lead]));
    const [lead, into] = [found.get(leadId), found.get(intoId)];
    if (!lead) throw new DomainError('LEAD_NOT_FOUND', `No lead ${leadId} in ${tenant}.`);
    if (!into) throw new DomainError('LEAD_NOT_FOUND', `No lead ${intoId} in ${tenant}.`);
    if (lead.status === 'merged') throw new DomainError('LEAD_ALREADY_MERGED', `${leadId} was merged into ${lead.duplicateOf}.`);
    if (into.status === 'merged' || into.status === 'parked') throw new DomainError('LEAD_MERGE_INVALID', `${intoId} is ${into.status}: merge into a live lead.`);
    return lead;
  }

  async get(tenant: string, id: string): Promise<Lead> {
    const [lead] = await this.byIds(this.deps.stateScope(tenant), [id]);
    if (!lead) throw new DomainError('LEAD_NOT_FOUND', `No lead ${id} in ${tenant}.`);
    return lead;
  }

  /** The tenant's leads, newest first, optionally of one status. */
  async list(tenant: string, filter: { status?: LeadStatus; limit: number }): Promise<Lead[]> {
    const scope = this.deps.stateScope(tenant);
    return this.read(scope, filter.status ? sql`WHERE status = ${filter.status}` : sql``, filter.limit);
  }

  private byIds(scope: TenantScope, ids: readonly string[]): Promise<Lead[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.read(scope, sql`WHERE lead_id IN (${join(ids.map((id) => sql`${id}`), ', ')})`, ids.length);
  }

  /** Leads with their merge applied (a merged lead's status is `merged`, `duplicate_of` its target). */
  private async read(scope: TenantScope, where: SqlFragment, limit: number): Promise<Lead[]> {
    const rows = await scope.query(sql`SELECT * FROM (
        SELECT l.lead_id, l.tenant_id, l.source, l.origin, l.received_at, l.email, l.phone, l.first_name, l.last_name, l.company, l.domain, l.country,
               CASE WHEN m.lead_id IS NULL THEN l.status ELSE 'merged' END AS status, l.disposition,
               coalesce(m.into_id, l.duplicate_of) AS duplicate_of, l.match_rule, l.problems
          FROM ${scope.table('revops_leads', { as: 'l' })} LEFT JOIN ${scope.table('revops_lead_merges', { as: 'm' })} ON m.lead_id = l.lead_id
      ) leads ${where} ORDER BY received_at DESC, lead_id LIMIT ${Math.max(1, Math.min(1000, Math.trunc(limit)))}`);
    return rows.map(toLead);
  }

  /**
   * What the call's leads may duplicate: the tenant's new leads as this process keeps them, while
   * their count says nobody else added one (leads are insert-only, and every intake of the tenant
   * here holds its lock) — else read again. A tenant with more leads than `KEPT_LEADS` is not
   * kept: its candidates are read for each call.
   */
  private async duplicateIndex(tenant: string, scope: TenantScope, leads: readonly NormalizedLead[]): Promise<{ index: DuplicateIndex; count: number; kept: boolean }> {
    const [row] = await scope.query<{ n: number | bigint }>(sql`SELECT count(*) AS n FROM ${scope.table('revops_leads')} WHERE status = 'new'`);
    const count = Number(row?.n ?? 0);
    if (count > KEPT_LEADS) return { index: await this.candidates(scope, leads), count, kept: false };
    const known = this.indexes.get(tenant);
    // Taken out while this call adds to it.
    this.indexes.delete(tenant);
    if (known?.count === count) return { index: known.index, count, kept: true };
    const index = new DuplicateIndex();
    for (const lead of await this.matchable(scope, sql``)) index.add(lead);
    return { index, count, kept: true };
  }

  /** The tenant's leads that share a blocking key with any of `leads` (spam left out): what they may duplicate. */
  private async candidates(scope: TenantScope, leads: readonly NormalizedLead[]): Promise<DuplicateIndex> {
    const index = new DuplicateIndex();
    const values = (pick: (lead: NormalizedLead) => string | null) => [...new Set(leads.map(pick).filter((v): v is string => Boolean(v)))];
    const blocks = ([['email_key', values((l) => l.emailKey)], ['phone', values((l) => l.phone)], ['domain', values((l) => l.domain)],
      ['company_key', values((l) => l.companyKey)], ['name_block', values((l) => nameBlock(l.nameKey))]] as const).filter(([, list]) => list.length > 0);
    if (blocks.length === 0) return index;
    for (const lead of await this.matchable(scope, sql`AND (${join(blocks.map(([column, list]) => sql`${raw(column)} IN (${join(list.map((v) => sql`${v}`), ', ')})`), ' OR ')})`)) {
      index.add(lead);
    }
    return index;
  }

  /** The tenant's new leads (spam and duplicates left out) as the matcher compares them, oldest first. */
  private async matchable(scope: TenantScope, where: SqlFragment): Promise<MatchableLead[]> {
    const rows = await scope.query(sql`SELECT lead_id, email_key, domain, phone, name_key, company_key FROM ${scope.table('revops_leads')}
      WHERE status = 'new' ${where} ORDER BY received_at, lead_id`);
    return rows.map((row) => ({
      id: String(row.lead_id), emailKey: nullable(row.email_key), domain: nullable(row.domain), phone: nullable(row.phone),
      nameKey: nullable(row.name_key), companyKey: nullable(row.company_key),
    }));
  }
}

function spamDisposition(tenant: string, input: LeadInput, lead: NormalizedLead, rate: OriginRate, at: Date): SpamDisposition | undefined {
  if (input.honeypot?.trim()) return 'honeypot';
  if (isDisposable(lead.domain) || isDisposable(lead.emailKey?.split('@')[1] ?? null)) return 'disposable-domain';
  if (input.origin && input.source === 'web_form' && rate.over(tenant, input.origin, at.getTime())) return 'rate-limited';
  return undefined;
}

function routingAttributes(input: LeadInput, lead: Pick<NormalizedLead, 'country'>): RoutableLead['attributes'] {
  const attributes: RoutableLead['attributes'] = { source: input.source };
  if (lead.country) attributes.country = lead.country;
  const region = regionOf(lead.country);
  if (region) attributes.region = region;
  if (input.segment !== undefined) attributes.segment = input.segment;
  if (input.arr_band !== undefined) attributes.arr_band = input.arr_band;
  if (input.icp_score !== undefined) attributes.icp_score = input.icp_score;
  if (input.employees !== undefined) attributes.employees = input.employees;
  return attributes;
}

/** A lead that will not be routed says why: parked (spam, its disposition) or a duplicate (of which lead). */
function dispositionEvents(lead: IntakeOutcome): PlatformEvent[] {
  if (lead.status === 'new') return [];
  return [{
    specversion: '1.0', id: `${lead.id}:disposition`, source: '/companyos/revops/leads', type: 'revops.lead.disposition', time: lead.receivedAt.toISOString(),
    subject: lead.id, tenantid: lead.tenant,
    data: { lead_id: lead.id, disposition: lead.status, reason: lead.status === 'parked' ? lead.disposition : `duplicate of ${lead.duplicateOf} (${lead.matchRule})` },
  }];
}

function ingestedEvent(lead: IntakeOutcome): PlatformEvent {
  return {
    specversion: '1.0', id: `${lead.id}:ingested`, source: '/companyos/revops/leads', type: 'revops.leads_ingested_total', time: lead.receivedAt.toISOString(),
    subject: lead.id, tenantid: lead.tenant,
    data: {
      lead_id: lead.id, source: lead.source, lead_source: lead.source, origin: lead.origin, status: lead.status, disposition: lead.disposition, duplicate_of: lead.duplicateOf,
      match_rule: lead.matchRule, flags: [...(lead.disposition ? ['spam'] : []), ...(lead.duplicateOf ? ['duplicate'] : []), ...lead.problems],
    },
  };
}

const nullable = (value: unknown) => (value === null || value === undefined ? null : String(value));

function toLead(row: Record<string, unknown>): Lead {
  return {
    id: String(row.lead_id), tenant: String(row.tenant_id), source: String(row.source) as LeadSource, origin: nullable(row.origin),
    receivedAt: new Date(row.received_at as Date), email: nullable(row.email), phone: nullable(row.phone), firstName: nullable(row.first_name),
    lastName: nullable(row.last_name), company: nullable(row.company), domain: nullable(row.domain), country: nullable(row.country),
    status: String(row.status) as LeadStatus, disposition: nullable(row.disposition) as SpamDisposition | null, duplicateOf: nullable(row.duplicate_of),
    matchRule: nullable(row.match_rule) as MatchRule | null, problems: JSON.parse(String(row.problems ?? '[]')) as string[],
  };
}
